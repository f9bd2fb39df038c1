# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_petctl_global_optspecs
    string join \n h/help V/version
end

function __fish_petctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_petctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_petctl_using_subcommand
    set -l cmd (__fish_petctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c petctl -n "__fish_petctl_needs_command" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_needs_command" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "migrate" -d 'Convert PetSets and older StatefulSets to apps/v1 StatefulSets'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "completion" -d 'Print a shell completion script'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -s f -l filename -d 'Manifest file, directory, or - for stdin (repeatable)' -r
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -s o -l output -d 'Output format' -r -f -a "yaml\t''
json\t''"
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -l to -d 'The apiVersion to convert to' -r -f -a "apps/v1\t''
apps/v1beta1\t''"
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -l validate -d 'How to treat unknown fields: strict, warn or ignore' -r
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand completion" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_using_subcommand completion" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from migrate completion help" -f -a "migrate" -d 'Convert PetSets and older StatefulSets to apps/v1 StatefulSets'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from migrate completion help" -f -a "completion" -d 'Print a shell completion script'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from migrate completion help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
