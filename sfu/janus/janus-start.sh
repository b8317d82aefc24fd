#!/bin/sh
# Writes a Janus configuration for Pairly from the environment and execs
# Janus with it. The compose file's `janus` service runs it, and so does
# every media test (test/support/janus.ts), so the configuration tested is
# the configuration deployed.
#
# Only the VideoRoom plugin and the HTTP + WebSocket transports are loaded.
# The VideoRoom plugin requires JANUS_ADMIN_KEY to create rooms and locks
# rooms (lock_rooms) so nobody but Pairly's controller can list or change
# them; participants need the per-room tokens Pairly hands out.
#
#   JANUS_ADMIN_KEY    required: the VideoRoom admin_key (SFU_JANUS_INSTANCES' adminSecret)
#   JANUS_CONFIG_DIR   where the generated files go (default /tmp/janus-config)
#   JANUS_HTTP_IP      address of the HTTP API Pairly's nodes call (default 0.0.0.0)
#   JANUS_HTTP_PORT    (default 8088)
#   JANUS_WS_IP        address of the WebSocket API clients use (default 0.0.0.0)
#   JANUS_WS_PORT      (default 8188)
#   JANUS_RTP_PORTS    UDP media range (default 20000-20199; publish the same range)
#   JANUS_INTERFACE    address Janus puts in its SDP when it cannot tell (default: unset)
#   JANUS_ICE_ENFORCE  interfaces ICE may use, comma-separated (default: unset = all but loopback)
#   JANUS_NAT_1_1      public IP to advertise in ICE candidates when Janus runs behind
#                      a 1:1 NAT such as Docker's port publishing (default: unset)
#   JANUS_DEBUG_LEVEL  0-7 (default 4)
#   JANUS_LIB          plugin/transport directory (default /usr/lib/x86_64-linux-gnu/janus)
set -eu

: "${JANUS_ADMIN_KEY:?set JANUS_ADMIN_KEY (the VideoRoom admin_key, SFU_JANUS_INSTANCES adminSecret)}"
dir=${JANUS_CONFIG_DIR:-/tmp/janus-config}
lib=${JANUS_LIB:-/usr/lib/x86_64-linux-gnu/janus}
http_ip=${JANUS_HTTP_IP:-0.0.0.0}
http_port=${JANUS_HTTP_PORT:-8088}
ws_ip=${JANUS_WS_IP:-0.0.0.0}
ws_port=${JANUS_WS_PORT:-8188}
rtp_ports=${JANUS_RTP_PORTS:-20000-20199}
debug_level=${JANUS_DEBUG_LEVEL:-4}

case "$JANUS_ADMIN_KEY" in
  *[!A-Za-z0-9_.-]*) echo "janus-start: JANUS_ADMIN_KEY may hold only letters, digits, '_', '.' and '-'" >&2; exit 2 ;;
esac
case "$rtp_ports" in
  [0-9]*-[0-9]*) ;;
  *) echo "janus-start: JANUS_RTP_PORTS must look like 20000-20199, got '$rtp_ports'" >&2; exit 2 ;;
esac

off() { # off a b c -> "libjanus_a.so,libjanus_b.so,libjanus_c.so"
  out=''
  for n in "$@"; do out="${out:+$out,}libjanus_$n.so"; done
  printf '%s' "$out"
}

mkdir -p "$dir"
{
  echo 'general: {'
  echo "	configs_folder = \"$dir\""
  echo "	plugins_folder = \"$lib/plugins\""
  echo "	transports_folder = \"$lib/transports\""
  echo "	events_folder = \"$lib/events\""
  echo "	loggers_folder = \"$lib/loggers\""
  echo "	debug_level = $debug_level"
  [ -n "${JANUS_INTERFACE:-}" ] && echo "	interface = \"$JANUS_INTERFACE\""
  echo '}'
  echo 'media: {'
  echo "	rtp_port_range = \"$rtp_ports\""
  echo '}'
  echo 'nat: {'
  echo '	nice_debug = false'
  [ -n "${JANUS_ICE_ENFORCE:-}" ] && echo "	ice_enforce_list = \"$JANUS_ICE_ENFORCE\""
  [ -n "${JANUS_NAT_1_1:-}" ] && echo "	nat_1_1_mapping = \"$JANUS_NAT_1_1\""
  echo '}'
  echo 'plugins: {'
  echo "	disable = \"$(off audiobridge duktape echotest lua nosip recordplay sip streaming textroom videocall voicemail)\""
  echo '}'
  echo 'transports: {'
  echo "	disable = \"$(off mqtt nanomsg pfunix rabbitmq)\""
  echo '}'
  echo 'events: {'
  echo '	broadcast = false'
  echo "	disable = \"$(off gelfevh mqttevh nanomsgevh rabbitmqevh sampleevh wsevh)\""
  echo '}'
  echo 'loggers: {'
  echo "	disable = \"$(off jsonlog)\""
  echo '}'
} > "$dir/janus.jcfg"

cat > "$dir/janus.transport.http.jcfg" <<CFG
general: {
	json = "compact"
	base_path = "/janus"
	http = true
	port = $http_port
	ip = "$http_ip"
	https = false
}
admin: {
	admin_http = false
}
CFG

cat > "$dir/janus.transport.websockets.jcfg" <<CFG
general: {
	json = "compact"
	ws = true
	ws_port = $ws_port
	ws_ip = "$ws_ip"
	wss = false
}
admin: {
	admin_ws = false
}
CFG

cat > "$dir/janus.plugin.videoroom.jcfg" <<CFG
general: {
	admin_key = "$JANUS_ADMIN_KEY"
	lock_rooms = true
}
CFG

[ "${1:-}" = "--config-only" ] && exit 0
exec janus -C "$dir/janus.jcfg" -F "$dir" -o
