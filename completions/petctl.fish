# fish completion for petctl (and kubectl-pets). Every word is completed by
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
