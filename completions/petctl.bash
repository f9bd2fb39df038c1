# bash completion for petctl (and kubectl-pets). Every word is completed by
# `petctl __complete`, which reads the whole line, so --kubeconfig, --context
# and -n/--namespace given on it are honoured. Enable it with:
#   source <(petctl completion bash)

_petctl_complete() {
    local line="${COMP_LINE:0:COMP_POINT}"
    local -a words lines
    read -r -a words <<< "$line"
    if [[ ${#words[@]} -eq 0 || "$line" == *[[:space:]] ]]; then
        words+=("")
    fi
    local cur="${words[${#words[@]}-1]}"
    local word="${COMP_WORDS[COMP_CWORD]}"
    local out
    out=$("${words[0]}" __complete "${words[@]:1}" 2>/dev/null) || return
    mapfile -t lines <<< "$out"
    local directive="${lines[${#lines[@]}-1]#:}"
    unset 'lines[${#lines[@]}-1]'
    [[ "$directive" =~ ^[0-9]+$ ]] || return
    (( directive & 1 )) && return
    # bash splits words at = and :, so only the part after the last break
    # is replaced: cut what comes before it off the candidates.
    local strip=0
    if [[ "$cur" == *"$word" ]]; then
        strip=$(( ${#cur} - ${#word} ))
    fi
    COMPREPLY=()
    local candidate
    for candidate in "${lines[@]}"; do
        candidate="${candidate%%$'\t'*}"
        [[ -n "$candidate" ]] && COMPREPLY+=("${candidate:strip}")
    done
    if (( directive & 2 )); then
        compopt -o nospace 2>/dev/null
    fi
    if (( ${#COMPREPLY[@]} == 0 && (directive & 4) == 0 )); then
        compopt -o default 2>/dev/null
    fi
}

complete -F _petctl_complete petctl kubectl-pets
