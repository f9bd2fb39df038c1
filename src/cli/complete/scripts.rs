//! The shell scripts `petctl completion` prints for bash, zsh and fish, and
//! the `kubectl_complete-pets` script: each hands the line to
//! `petctl __complete` and turns its answer (candidates, then a cobra
//! directive) into the shell's own completion.

/// bash ≥4: `source <(petctl completion bash)`.
pub const BASH: &str = r#"# bash completion for petctl (and kubectl-pets). Every word is completed by
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
"#;

/// zsh: `source <(petctl completion zsh)`, or the file as `_petctl` in `$fpath`.
pub const ZSH: &str = r#"#compdef petctl kubectl-pets
# zsh completion for petctl (and kubectl-pets). Every word is completed by
# `petctl __complete`, which reads the whole line, so --kubeconfig, --context
# and -n/--namespace given on it are honoured. Enable it with:
#   source <(petctl completion zsh)
# or save it as _petctl in a directory of $fpath.

_petctl() {
    local -a lines candidates
    local directive entry name
    lines=("${(@f)$(${words[1]} __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    directive=${lines[-1]#:}
    lines=("${(@)lines[1,-2]}")
    [[ "$directive" == <-> ]] || return 1
    (( directive & 1 )) && return 1
    for entry in "${lines[@]}"; do
        [[ -z "$entry" ]] && continue
        name=${entry%%$'\t'*}
        if [[ "$name" == "$entry" ]]; then
            candidates+=("${name//:/\\:}")
        else
            candidates+=("${name//:/\\:}:${entry#*$'\t'}")
        fi
    done
    if (( ${#candidates} == 0 )); then
        (( directive & 4 )) || _files
        return
    fi
    if (( directive & 2 )); then
        _describe petctl candidates -S ''
    else
        _describe petctl candidates
    fi
}

if [[ "${funcstack[1]}" == _petctl ]]; then
    _petctl "$@"
else
    compdef _petctl petctl kubectl-pets
fi
"#;

/// fish: `petctl completion fish | source`, or the file in
/// `~/.config/fish/completions/petctl.fish`.
pub const FISH: &str = r#"# fish completion for petctl (and kubectl-pets). Every word is completed by
# `petctl __complete`, which reads the whole line, so --kubeconfig, --context
# and -n/--namespace given on it are honoured. Enable it with:
#   petctl completion fish | source
# or save it as ~/.config/fish/completions/petctl.fish.

function __petctl_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    set -l program $words[1]
    set -e words[1]
    set -l out ($program __complete $words "$current" 2>/dev/null)
    or return
    set -l directive (string replace -r '^:' '' -- $out[-1])
    set -e out[-1]
    string match -qr '^[0-9]+$' -- $directive; or return
    test (math "$directive % 2") -eq 1; and return
    if test (count $out) -eq 0
        if test (math "floor($directive / 4) % 2") -eq 0
            __fish_complete_path "$current"
        end
        return
    end
    printf '%s\n' $out
end

complete -c petctl -f -a '(__petctl_complete)'
complete -c kubectl-pets -f -a '(__petctl_complete)'
"#;

/// The executable kubectl ≥1.26 runs to complete `kubectl pets …`.
pub const KUBECTL_PLUGIN: &str = r#"#!/bin/sh
# kubectl (1.26 and later) completes the arguments of `kubectl pets` by
# running kubectl_complete-pets from PATH; this hands them to petctl's
# completer. Install it next to kubectl-pets:
#   petctl completion kubectl-plugin > ~/.local/bin/kubectl_complete-pets
#   chmod +x ~/.local/bin/kubectl_complete-pets
# A link `kubectl_complete-pets -> petctl` does the same.
exec kubectl-pets __complete "$@"
"#;
