# Sourced by the bench scripts. install_missing NAME...: installs each Debian package NAME whose command of the same
# name (nats-server, mosquitto) is not on the PATH, with apt-get, as root or through sudo.
export PATH="$PATH:/usr/sbin:/sbin"

install_missing() {
    local missing=() name sudo=""
    for name in "$@"; do
        command -v "$name" >/dev/null || missing+=("$name")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing ${missing[*]} from the Debian packages"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
