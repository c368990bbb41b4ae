# The benchmark image: an ext4 filesystem full of random files, the
# partclone torrent of its used blocks, and (for ezio -F) its extents as
# files. Made once and kept in $EZ_CACHE.
#
#   bench_image IMAGE_MIB DATA_MIB
#     -> sets EZ_IMAGE, EZ_TORRENT, EZ_FILES, EZ_USED, EZ_INFO
# partclone's torrent.info always has 16 MiB pieces.

bench_image() {
  local image_mib=$1 data_mib=$2
  local dir="$EZ_CACHE/image-${image_mib}-${data_mib}"
  EZ_IMAGE=$dir/golden.img
  EZ_TORRENT=$dir/sda1.torrent
  EZ_FILES=$dir/files
  if [ ! -f "$dir/done" ]; then
    rm -rf "$dir"
    mkdir -p "$dir/content"
    local i=0 left=$data_mib size
    while ((left > 0)); do
      size=$(((RANDOM % 24) + 1))
      ((size > left)) && size=$left
      mkdir -p "$dir/content/d$((i % 7))"
      head -c $((size * 1048576 - RANDOM)) /dev/urandom > "$dir/content/d$((i % 7))/f$i.bin"
      left=$((left - size))
      i=$((i + 1))
    done
    mkfs.ext4 -q -F -b 4096 -g 1024 -O ^flex_bg -d "$dir/content" "$EZ_IMAGE" "${image_mib}M" > /dev/null
    rm -rf "$dir/content"
    mkdir -p "$dir/info"
    partclone.extfs -q -c -t -s "$EZ_IMAGE" -O "$dir/info" -z 16777216 > /dev/null 2>&1
    "$EZ_BIN/ezioctl" create --from-info "$dir/info/torrent.info" --name sda1 -o "$EZ_TORRENT" > /dev/null
    # ezio -F seeds from files named like the torrent's: sda1/<32 hex digits>.
    mkdir -p "$EZ_FILES/sda1"
    local key value offset=""
    while read -r key value; do
      case "$key" in
        offset:) offset=$((16#$value)) ;;
        length:)
          dd if="$EZ_IMAGE" of="$EZ_FILES/sda1/$(printf '%032x' "$offset")" bs=1M \
            iflag=skip_bytes,count_bytes skip="$offset" count=$((16#$value)) status=none ;;
      esac
    done < "$dir/info/torrent.info"
    touch "$dir/done"
  fi
  EZ_INFO=$dir/info/torrent.info
  EZ_USED=0
  local key value
  while read -r key value; do
    if [ "$key" = "length:" ]; then EZ_USED=$((EZ_USED + 16#$value)); fi
  done < "$dir/info/torrent.info"
}
