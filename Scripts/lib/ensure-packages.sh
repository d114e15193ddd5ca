# Installs Debian packages that are missing. Each argument is PACKAGE:CHECK, where CHECK is a
# command name, an absolute path, or a header below /usr/include that shows the package is there.
ensure_packages() {
    local missing=()
    local spec package check
    for spec in "$@"; do
        package=${spec%%:*}
        check=${spec#*:}
        if [[ $check == /* ]]; then
            [[ -e $check ]] && continue
        elif [[ $check == */* || $check == *.h ]]; then
            [[ -e /usr/include/$check ]] && continue
        else
            command -v "$check" >/dev/null 2>&1 && continue
        fi
        missing+=("$package")
    done
    ((${#missing[@]} == 0)) && return 0
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
    echo "installing: ${missing[*]}" >&2
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
