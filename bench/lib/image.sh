# The benchmark image: an ext4 filesystem holding DATA_MIB of files, the
# partclone torrent of its used blocks, and (for ezio -F) its extents as
# files. Made once and kept in $EZ_CACHE.
#
#   DATA=random (default): random files, which do not compress.
#   DATA=usr: real files from this machine's /usr (libraries, binaries,
#   docs, locales), as a lab's OS image holds; they compress about 3x
#   with zstd -3.
#
#   EXT4=spread (default): mkfs.ext4 -g 1024 -O ^flex_bg, a block group
#   (bitmaps, inode table) every 4 MiB, so the used blocks are many
#   extents, as on an aged disk. EXT4=default: mkfs.ext4's own layout
#   (flex_bg, 128 MiB groups), as a freshly installed OS has it.
#
#   bench_image IMAGE_MIB DATA_MIB
#     -> sets EZ_IMAGE, EZ_TORRENT, EZ_FILES, EZ_USED, EZ_INFO
# partclone's torrent.info always has 16 MiB pieces.

# Fills DIR with about MIB MiB of /usr's regular files: libraries,
# binaries, docs and locales mixed, in a fixed pseudo-random order (the
# same files each time, so the image can be made again alike).
fill_from_usr() {  # dir mib
  local dir=$1 left=$(($2 * 1048576)) size path
  while IFS=$'\t' read -r size path; do
    ((size <= left)) || continue
    mkdir -p "$dir$(dirname "$path")"
    cp -p "$path" "$dir$path" 2>/dev/null || continue
    left=$((left - size))
    ((left > 1048576)) || break
  done < <(find /usr/lib /usr/share /usr/bin -xdev -type f -size -32M -printf '%s\t%p\n' 2>/dev/null |
    LC_ALL=C sort -t$'\t' -k2 | shuf --random-source=<(yes ezio))
}

bench_image() {
  local image_mib=$1 data_mib=$2 data=${DATA:-random}
  local dir="$EZ_CACHE/image-${image_mib}-${data_mib}"
  [ "$data" = random ] || dir="$EZ_CACHE/image-$data-${image_mib}-${data_mib}"
  local mkfs_args=(-g 1024 -O ^flex_bg)
  case "${EXT4:-spread}" in
    spread) ;;
    default) mkfs_args=(); dir+=-ext4default ;;
    *) echo "EXT4 must be spread or default, not '$EXT4'" >&2; return 2 ;;
  esac
  EZ_IMAGE=$dir/golden.img
  EZ_TORRENT=$dir/sda1.torrent
  EZ_FILES=$dir/files
  if [ ! -f "$dir/done" ]; then
    rm -rf "$dir"
    mkdir -p "$dir/content"
    case "$data" in
      random)
        local i=0 left=$data_mib size
        while ((left > 0)); do
          size=$(((RANDOM % 24) + 1))
          ((size > left)) && size=$left
          mkdir -p "$dir/content/d$((i % 7))"
          head -c $((size * 1048576 - RANDOM)) /dev/urandom > "$dir/content/d$((i % 7))/f$i.bin"
          left=$((left - size))
          i=$((i + 1))
        done ;;
      usr) fill_from_usr "$dir/content" "$data_mib" ;;
      *) echo "DATA must be random or usr, not '$data'" >&2; return 2 ;;
    esac
    mkfs.ext4 -q -F -b 4096 "${mkfs_args[@]}" -d "$dir/content" "$EZ_IMAGE" "${image_mib}M" > /dev/null
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
