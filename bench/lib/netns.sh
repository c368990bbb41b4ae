# Network namespaces for benchmarks: one per peer, on a bridge in the root
# namespace, addresses 10.77.0.0/24. Nothing is routed out of the machine.
#
#   netns_up NAME... ; netns_ip NAME ; netns_exec NAME CMD... ; netns_down

# EZ_NET_TAG keeps two users apart (the swarm ctest uses its own), so a
# benchmark can run beside the tests. Interface names stay within 15 bytes.
EZ_NET_TAG=${EZ_NET_TAG:-ezb}
EZ_BRIDGE=${EZ_NET_TAG}br0
EZ_NS_PREFIX=$EZ_NET_TAG-
declare -gA EZ_NS_ADDR=()
declare -gA EZ_NS_HOST=()  # the host side of each namespace's veth

netns_up() {
  netns_down
  ip link add "$EZ_BRIDGE" type bridge
  ip link set "$EZ_BRIDGE" up
  local i=1 name
  for name in "$@"; do
    local ns="$EZ_NS_PREFIX$name" host="${EZ_NET_TAG}h$i" peer="${EZ_NET_TAG}p$i"
    ip netns add "$ns"
    ip link add "$host" type veth peer name "$peer"
    ip link set "$host" master "$EZ_BRIDGE" up
    ip link set "$peer" netns "$ns"
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "$peer" name eth0
    ip -n "$ns" addr add "10.77.0.$i/24" brd + dev eth0
    ip -n "$ns" link set eth0 up
    EZ_NS_ADDR[$name]=10.77.0.$i
    EZ_NS_HOST[$name]=$host
    i=$((i + 1))
  done
}

netns_ip() { echo "${EZ_NS_ADDR[$1]}"; }

netns_exec() { local name=$1; shift; ip netns exec "$EZ_NS_PREFIX$name" "$@"; }

# One direction of one link: a token bucket at RATE (256 KB, more than a
# TSO segment: a smaller bucket halves TCP while UDP passes).
shape_dev() {  # [netns-exec-prefix...] dev rate
  local rate=${*: -1} dev=${*: -2:1}
  local run=("${@:1:$#-2}")
  "${run[@]}" tc qdisc replace dev "$dev" root tbf rate "$rate" burst 256kb latency 50ms
}

# With EZ_LOSS_PERMILLE set (e.g. 1 for 0.1 %), every link drops that share
# of its packets in each direction, at random, as real switches do: an
# nftables rule on the ingress of both ends of each veth (the kernel here
# has no netem, so no added latency). Empty: no loss (rules removed).
netns_loss() {
  local permille=${EZ_LOSS_PERMILLE:-} name ns
  for name in "${!EZ_NS_HOST[@]}"; do
    ns="$EZ_NS_PREFIX$name"
    ip netns exec "$ns" nft delete table netdev ezloss 2> /dev/null || true
    nft delete table netdev "ezloss_${EZ_NS_HOST[$name]}" 2> /dev/null || true
    [ -n "$permille" ] || continue
    command -v nft > /dev/null || { echo "netns_loss: needs nft (apt-get install nftables)" >&2; return 1; }
    ip netns exec "$ns" nft -f - <<NFT
table netdev ezloss {
  chain in { type filter hook ingress device eth0 priority 0; numgen random mod 1000 < $permille counter drop; }
}
NFT
    nft -f - <<NFT
table netdev ezloss_${EZ_NS_HOST[$name]} {
  chain in { type filter hook ingress device ${EZ_NS_HOST[$name]} priority 0; numgen random mod 1000 < $permille counter drop; }
}
NFT
  done
}

# Packets the loss rules have dropped since netns_loss set them, over every
# link and direction: proof that a lossy run lost packets.
netns_loss_dropped() {
  local name
  for name in "${!EZ_NS_HOST[@]}"; do
    ip netns exec "$EZ_NS_PREFIX$name" nft list table netdev ezloss 2> /dev/null || true
    nft list table netdev "ezloss_${EZ_NS_HOST[$name]}" 2> /dev/null || true
  done | grep -o 'counter packets [0-9]*' | awk '{ n += $3 } END { print n + 0 }'
}

# Shapes every link to RATE (e.g. 200mbit) in both directions.
netns_shape() {
  local rate=$1 dev
  for dev in $(ip -o link show master "$EZ_BRIDGE" | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
    shape_dev "$dev" "$rate"
  done
  local ns
  for ns in $(ip netns list | awk '{ print $1 }' | grep "^$EZ_NS_PREFIX"); do
    shape_dev ip netns exec "$ns" eth0 "$rate"
  done
}

# Shapes the links of one namespace NAME to RATE (both directions).
netns_shape_one() {
  local name=$1 rate=$2 ns="$EZ_NS_PREFIX$1"
  shape_dev ip netns exec "$ns" eth0 "$rate"
  shape_dev "${EZ_NS_HOST[$name]}" "$rate"
}

netns_down() {
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^$EZ_NS_PREFIX" || true); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns"
  done
  ip link del "$EZ_BRIDGE" 2>/dev/null || true
}
