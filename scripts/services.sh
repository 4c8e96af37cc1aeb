#!/usr/bin/env bash
# Installs (Debian/Ubuntu, apt) and starts every real service and third-party peer the integration
# tier uses, each on its standard localhost port. Idempotent: installs only what is missing and starts
# only what is not already answering. Run as root (or with sudo available).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(influxdb redis-server postgresql mosquitto mosquitto-clients socat mbpoll python3-pymodbus python3-serial python3-serial-asyncio libmodbus-dev chromium gcc libc6-dev docker-compose poppler-utils openssl fonts-dejavu-core)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then missing+=("$p"); fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "services.sh: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local name=$1 port=$2
  for _ in $(seq 1 60); do
    if port_open "$port"; then echo "services.sh: $name up on 127.0.0.1:$port"; return 0; fi
    sleep 0.5
  done
  echo "services.sh: $name did not come up on 127.0.0.1:$port" >&2
  return 1
}

if ! port_open 5432; then
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
fi
wait_port PostgreSQL 5432

if ! port_open 6379; then
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/metergate.log
fi
wait_port Redis 6379

if ! port_open 1883; then
  $SUDO mosquitto -d -c /etc/mosquitto/mosquitto.conf
fi
wait_port Mosquitto 1883

if ! port_open 8086; then
  $SUDO mkdir -p /var/lib/influxdb /var/log/influxdb
  $SUDO start-stop-daemon --start --oknodo --background --make-pidfile --pidfile /run/metergate-influxd.pid \
    --exec /usr/bin/influxd -- -config /etc/influxdb/influxdb.conf
fi
wait_port InfluxDB 8086

# The integration tier creates its own databases; make sure the default PostgreSQL role can.
if command -v psql >/dev/null; then
  psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='metergate_test'" 2>/dev/null | grep -q 1 ||
    psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE metergate_test" 2>/dev/null || true
fi
echo "services.sh: all services ready"
