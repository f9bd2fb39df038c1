# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_petctl_global_optspecs
    string join \n kubeconfig= local context= cluster= user= n/namespace= s/server= token= certificate-authority= insecure-skip-tls-verify request-timeout= v/v= h/help V/version
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

complete -c petctl -n "__fish_petctl_needs_command" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_needs_command" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_needs_command" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_needs_command" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_needs_command" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_needs_command" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_needs_command" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_needs_command" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_needs_command" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_needs_command" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_needs_command" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_needs_command" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_needs_command" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_needs_command" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "create" -d 'Create the governing Service, the set and the rest from manifests'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "get" -d 'List sets, their pets, pods and claims'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "describe" -d 'Show a set: its pets\' identities, storage, revisions and events'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "scale" -d 'Change a set\'s replicas: pets come up in order and go down in reverse'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "upgrade-image" -d 'Change container images and replace the pets one by one, in order'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "pause" -d 'Pause a set (or one pet of a PetSet): no pet is created, deleted or updated'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "resume" -d 'Resume a paused set (or one pet of a PetSet)'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "delete" -d 'Delete a set: scale to 0 in order, then delete it (claims are kept)'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "cleanup-pvcs" -d 'Delete the claims no pet of a set uses any more (asks first)'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "migrate" -d 'Convert PetSets and older StatefulSets to apps/v1 StatefulSets'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "local" -d 'Run the local control plane: a Kubernetes-compatible API server'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "config" -d 'Show the kubeconfig petctl uses'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "version" -d 'Print the client and server versions'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "completion" -d 'Print a shell completion script'
complete -c petctl -n "__fish_petctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c petctl -n "__fish_petctl_using_subcommand create" -s f -l filename -d 'Manifest file, directory, or - for stdin (repeatable)' -r
complete -c petctl -n "__fish_petctl_using_subcommand create" -l dry-run -d 'none, client (print only) or server (validated by the server, not stored)' -r -f -a "none\t''
client\t''
server\t''"
complete -c petctl -n "__fish_petctl_using_subcommand create" -s o -l output -d 'Output format: name, yaml or json' -r -f -a "name\t''
yaml\t''
json\t''"
complete -c petctl -n "__fish_petctl_using_subcommand create" -l timeout -d 'How long --wait waits, e.g. 90s or 5m' -r
complete -c petctl -n "__fish_petctl_using_subcommand create" -l validate -d 'How to treat unknown fields: strict, warn or ignore' -r
complete -c petctl -n "__fish_petctl_using_subcommand create" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand create" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand create" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand create" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand create" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand create" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand create" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand create" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand create" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand create" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand create" -l wait -d 'Wait until every pet of every created set is Running and Ready and its status caught up'
complete -c petctl -n "__fish_petctl_using_subcommand create" -l no-convert -d 'Refuse to convert a PetSet for a server that has only StatefulSets'
complete -c petctl -n "__fish_petctl_using_subcommand create" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand create" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c petctl -n "__fish_petctl_using_subcommand create" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand get" -s l -l selector -d 'Label selector, e.g. app=nginx' -r
complete -c petctl -n "__fish_petctl_using_subcommand get" -l field-selector -d 'Field selector, e.g. status.phase=Running' -r
complete -c petctl -n "__fish_petctl_using_subcommand get" -s o -l output -d 'Output format: wide, yaml, json, name, jsonpath=TEMPLATE' -r
complete -c petctl -n "__fish_petctl_using_subcommand get" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand get" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand get" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand get" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand get" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand get" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand get" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand get" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand get" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand get" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand get" -s A -l all-namespaces -d 'List across all namespaces'
complete -c petctl -n "__fish_petctl_using_subcommand get" -s w -l watch -d 'After listing, watch for changes'
complete -c petctl -n "__fish_petctl_using_subcommand get" -l no-headers -d 'Do not print headers'
complete -c petctl -n "__fish_petctl_using_subcommand get" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand get" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand get" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_using_subcommand get" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand describe" -l cluster-domain -d 'The cluster\'s DNS domain, for pet DNS names' -r
complete -c petctl -n "__fish_petctl_using_subcommand describe" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand describe" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand describe" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand describe" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand describe" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand describe" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand describe" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand describe" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand describe" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand describe" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand describe" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand describe" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand describe" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_using_subcommand describe" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand scale" -l replicas -d 'The number of pets wanted' -r
complete -c petctl -n "__fish_petctl_using_subcommand scale" -l current-replicas -d 'Scale only if the set has this many replicas now' -r
complete -c petctl -n "__fish_petctl_using_subcommand scale" -l timeout -d 'How long waits may take, e.g. 90s or 5m' -r
complete -c petctl -n "__fish_petctl_using_subcommand scale" -s o -l output -d 'Print the outcome as: name or json' -r -f -a "name\t''
json\t''"
complete -c petctl -n "__fish_petctl_using_subcommand scale" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand scale" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand scale" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand scale" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand scale" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand scale" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand scale" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand scale" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand scale" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand scale" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand scale" -l wait -d 'Wait until every pet below --replicas is Running and Ready and every pet above it is gone'
complete -c petctl -n "__fish_petctl_using_subcommand scale" -s y -l yes -d 'Do not ask before the server deletes claims (persistentVolumeClaimRetentionPolicy whenScaled: Delete)'
complete -c petctl -n "__fish_petctl_using_subcommand scale" -l dry-run -d 'Print the plan (which pets, in which order) and change nothing'
complete -c petctl -n "__fish_petctl_using_subcommand scale" -l take-over -d 'Take the set\'s operation lease even if another petctl operation holds it'
complete -c petctl -n "__fish_petctl_using_subcommand scale" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand scale" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand scale" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c petctl -n "__fish_petctl_using_subcommand scale" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l order -d 'descending (highest ordinal first, ordinal 0 last) or ascending' -r -f -a "descending\t''
ascending\t''"
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l partition -d 'Replace only ordinals at or above K [default: a RollingUpdate set\'s own partition, else 0]' -r
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l pet-timeout -d 'How long each pet may take to be Running and Ready again' -r
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l min-ready -d 'How long a replaced pet must stay Ready before the next one goes' -r
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l max-unavailable -d 'How many pets may be not Ready at once (only 1 is supported)' -r
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l timeout -d 'A limit for the whole upgrade; 0 means none' -r
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -s o -l output -d 'Output: name or json (the outcome)' -r -f -a "name\t''
json\t''"
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -s y -l yes -d 'Do not ask for confirmation (required when stdin is not a terminal)'
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l force -d 'Replace unready pets even when they do not look broken'
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l rollback-on-failure -d 'When a pet does not get Ready, put the old image back in the template and bring that pet back on it'
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l dry-run -d 'Print the plan only'
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l take-over -d 'Take the set\'s operation lease even if another petctl operation holds it'
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c petctl -n "__fish_petctl_using_subcommand upgrade-image" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand pause" -l pet -d 'Only this pet (PetSets): the guide\'s per-pet debug hook' -r
complete -c petctl -n "__fish_petctl_using_subcommand pause" -l timeout -d 'How long waits may take, e.g. 90s or 5m' -r
complete -c petctl -n "__fish_petctl_using_subcommand pause" -s o -l output -d 'Print the outcome as: name or json' -r -f -a "name\t''
json\t''"
complete -c petctl -n "__fish_petctl_using_subcommand pause" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand pause" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand pause" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand pause" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand pause" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand pause" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand pause" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand pause" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand pause" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand pause" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand pause" -l wait -d 'pause: wait until the controller has seen it; resume: until every pet is Running and Ready'
complete -c petctl -n "__fish_petctl_using_subcommand pause" -l dry-run -d 'Print the plan (which pets, in which order) and change nothing'
complete -c petctl -n "__fish_petctl_using_subcommand pause" -l take-over -d 'Take the set\'s operation lease even if another petctl operation holds it'
complete -c petctl -n "__fish_petctl_using_subcommand pause" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand pause" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand pause" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c petctl -n "__fish_petctl_using_subcommand pause" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand resume" -l pet -d 'Only this pet (PetSets): the guide\'s per-pet debug hook' -r
complete -c petctl -n "__fish_petctl_using_subcommand resume" -l timeout -d 'How long waits may take, e.g. 90s or 5m' -r
complete -c petctl -n "__fish_petctl_using_subcommand resume" -s o -l output -d 'Print the outcome as: name or json' -r -f -a "name\t''
json\t''"
complete -c petctl -n "__fish_petctl_using_subcommand resume" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand resume" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand resume" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand resume" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand resume" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand resume" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand resume" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand resume" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand resume" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand resume" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand resume" -l wait -d 'pause: wait until the controller has seen it; resume: until every pet is Running and Ready'
complete -c petctl -n "__fish_petctl_using_subcommand resume" -l dry-run -d 'Print the plan (which pets, in which order) and change nothing'
complete -c petctl -n "__fish_petctl_using_subcommand resume" -l take-over -d 'Take the set\'s operation lease even if another petctl operation holds it'
complete -c petctl -n "__fish_petctl_using_subcommand resume" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand resume" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand resume" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c petctl -n "__fish_petctl_using_subcommand resume" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand delete" -s f -l filename -d 'Delete what these manifests create: the sets first (in order), then the rest; claims and namespaces are kept' -r
complete -c petctl -n "__fish_petctl_using_subcommand delete" -l cascade -d 'true (scale to 0 in order, then delete), false/orphan (the pets keep running), background, foreground' -r
complete -c petctl -n "__fish_petctl_using_subcommand delete" -l timeout -d 'How long waits may take, e.g. 90s or 5m' -r
complete -c petctl -n "__fish_petctl_using_subcommand delete" -s o -l output -d 'Print the outcome as: name or json' -r -f -a "name\t''
json\t''"
complete -c petctl -n "__fish_petctl_using_subcommand delete" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand delete" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand delete" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand delete" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand delete" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand delete" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand delete" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand delete" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand delete" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand delete" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand delete" -l wait -d 'Wait until the set is gone (an ordered delete always waits for its pets and the set)'
complete -c petctl -n "__fish_petctl_using_subcommand delete" -s y -l yes -d 'Do not ask before the server deletes claims (persistentVolumeClaimRetentionPolicy: Delete)'
complete -c petctl -n "__fish_petctl_using_subcommand delete" -l dry-run -d 'Print the plan (which pets, in which order) and change nothing'
complete -c petctl -n "__fish_petctl_using_subcommand delete" -l take-over -d 'Take the set\'s operation lease even if another petctl operation holds it'
complete -c petctl -n "__fish_petctl_using_subcommand delete" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand delete" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c petctl -n "__fish_petctl_using_subcommand delete" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -l deleted-set -d 'Clean up after a set that is already deleted: its NAME (needs --template and -l)' -r
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -l template -d 'With --deleted-set: a claim template of the deleted set (repeatable)' -r
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -s l -l selector -d 'Only claims with these labels; with --deleted-set, the set\'s selector labels' -r
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -l timeout -d 'How long waits may take, e.g. 90s or 5m' -r
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -s o -l output -d 'Print the outcome as: name or json' -r -f -a "name\t''
json\t''"
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -s y -l yes -d 'Do not ask for confirmation'
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -l dry-run -d 'Print the plan (which pets, in which order) and change nothing'
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -l take-over -d 'Take the set\'s operation lease even if another petctl operation holds it'
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_using_subcommand cleanup-pvcs" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -s f -l filename -d 'Manifest file, directory, or - for stdin (repeatable)' -r
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -s o -l output -d 'Output format' -r -f -a "yaml\t''
json\t''"
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -l to -d 'The apiVersion to convert to' -r -f -a "apps/v1\t''
apps/v1beta1\t''"
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -l validate -d 'How to treat unknown fields: strict, warn or ignore' -r
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_using_subcommand migrate" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -f -a "up" -d 'Start the local control plane'
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -f -a "down" -d 'Stop the local control plane gracefully'
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -f -a "status" -d 'Print the URL, pid, uptime, kubeconfig and object counts of the local control plane'
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -f -a "kubeconfig-path" -d 'Print the path of the administrator\'s kubeconfig, for `export KUBECONFIG=$(petctl local kubeconfig-path)`'
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -f -a "kubeconfig" -d 'Write a kubeconfig for another user, who authenticates with a client certificate from the local CA. Members of system:masters may do anything; every other user may only read (RBAC\'s view role)'
complete -c petctl -n "__fish_petctl_using_subcommand local; and not __fish_seen_subcommand_from up down status kubeconfig-path kubeconfig help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l state-dir -d 'The state directory [default: $PETCTL_LOCAL_DIR, else $XDG_STATE_HOME/petctl/local]' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l port -d 'The port on 127.0.0.1; 0 picks a free one' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l fault-rate -d 'Fraction (0 to 1) of non-watch requests answered with 500, 429 or a dropped connection (before or after handling)' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l fault-seed -d 'Where the fault dice start, to replay a run (the server log names the seed) [default: random]' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l fault-latency -d 'Latency added to every request, e.g. 100ms' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l watch-drop-after -d 'Close watch streams at a random time of up to D, e.g. 30s' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l bookmark-interval -d 'How often watches that allow bookmarks get one' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l event-window -d 'How many events are kept for watch resume (the compaction window)' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l nodes -d 'How many nodes the simulated kubelet registers' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l ready-delay -d 'How long a started pod takes to become Ready (0 allowed)' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l max-grace -d 'Cap on the termination grace period of deleted pods, e.g. 0s' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l basic-auth-file -d 'Also accept HTTP basic auth for the users in FILE (password,user,uid[,"group1,group2"]), as kube-apiserver\'s --basic-auth-file did until 1.19' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l fail-images -d 'Pods whose image matches GLOB (with * and ?) never become Ready and crash-loop; repeatable' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l detach -d 'Run in the background and return once the server is ready'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from up" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from down" -l state-dir -d 'The state directory [default: $PETCTL_LOCAL_DIR, else $XDG_STATE_HOME/petctl/local]' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from down" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from down" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from down" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from down" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from down" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from down" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from down" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from down" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from down" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from down" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from down" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from down" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from down" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from down" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from status" -l state-dir -d 'The state directory [default: $PETCTL_LOCAL_DIR, else $XDG_STATE_HOME/petctl/local]' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from status" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from status" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from status" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from status" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from status" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from status" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from status" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from status" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from status" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from status" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from status" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from status" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig-path" -l state-dir -d 'The state directory [default: $PETCTL_LOCAL_DIR, else $XDG_STATE_HOME/petctl/local]' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig-path" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig-path" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig-path" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig-path" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig-path" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig-path" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig-path" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig-path" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig-path" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig-path" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig-path" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig-path" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig-path" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig-path" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -l state-dir -d 'The state directory [default: $PETCTL_LOCAL_DIR, else $XDG_STATE_HOME/petctl/local]' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -l user -d 'The user name (the certificate\'s CommonName)' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -l group -d 'A group of the user (an Organization of the certificate); repeatable' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -l days -d 'How many days the certificate is valid' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -s o -l output -d 'The file to write (mode 0600), or - for stdout; a symlink is written through, a device or other special file is refused' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from kubeconfig" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from help" -f -a "up" -d 'Start the local control plane'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from help" -f -a "down" -d 'Stop the local control plane gracefully'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from help" -f -a "status" -d 'Print the URL, pid, uptime, kubeconfig and object counts of the local control plane'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from help" -f -a "kubeconfig-path" -d 'Print the path of the administrator\'s kubeconfig, for `export KUBECONFIG=$(petctl local kubeconfig-path)`'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from help" -f -a "kubeconfig" -d 'Write a kubeconfig for another user, who authenticates with a client certificate from the local CA. Members of system:masters may do anything; every other user may only read (RBAC\'s view role)'
complete -c petctl -n "__fish_petctl_using_subcommand local; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c petctl -n "__fish_petctl_using_subcommand config; and not __fish_seen_subcommand_from view help" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand config; and not __fish_seen_subcommand_from view help" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and not __fish_seen_subcommand_from view help" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and not __fish_seen_subcommand_from view help" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and not __fish_seen_subcommand_from view help" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and not __fish_seen_subcommand_from view help" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and not __fish_seen_subcommand_from view help" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and not __fish_seen_subcommand_from view help" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and not __fish_seen_subcommand_from view help" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and not __fish_seen_subcommand_from view help" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and not __fish_seen_subcommand_from view help" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand config; and not __fish_seen_subcommand_from view help" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand config; and not __fish_seen_subcommand_from view help" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_using_subcommand config; and not __fish_seen_subcommand_from view help" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand config; and not __fish_seen_subcommand_from view help" -f -a "view" -d 'Print the merged kubeconfig, secrets redacted'
complete -c petctl -n "__fish_petctl_using_subcommand config; and not __fish_seen_subcommand_from view help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from view" -s o -l output -d 'Output format' -r -f -a "yaml\t''
json\t''"
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from view" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from view" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from view" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from view" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from view" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from view" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from view" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from view" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from view" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from view" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from view" -l minify -d 'Only the current context, its cluster and its user, with overrides applied'
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from view" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from view" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from view" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from view" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "view" -d 'Print the merged kubeconfig, secrets redacted'
complete -c petctl -n "__fish_petctl_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c petctl -n "__fish_petctl_using_subcommand version" -s o -l output -d 'Output format: json or yaml' -r -f -a "json\t''
yaml\t''"
complete -c petctl -n "__fish_petctl_using_subcommand version" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand version" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand version" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand version" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand version" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand version" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand version" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand version" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand version" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand version" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand version" -l client -d 'Only the client version; do not contact the server'
complete -c petctl -n "__fish_petctl_using_subcommand version" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand version" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand version" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_using_subcommand version" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand completion" -l kubeconfig -d 'Path to the kubeconfig file to use' -r -F
complete -c petctl -n "__fish_petctl_using_subcommand completion" -l context -d 'The kubeconfig context to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand completion" -l cluster -d 'The kubeconfig cluster to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand completion" -l user -d 'The kubeconfig user to use' -r
complete -c petctl -n "__fish_petctl_using_subcommand completion" -s n -l namespace -d 'The namespace; defaults to the context\'s namespace, else "default"' -r
complete -c petctl -n "__fish_petctl_using_subcommand completion" -s s -l server -d 'The address and port of the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand completion" -l token -d 'Bearer token for authentication to the API server' -r
complete -c petctl -n "__fish_petctl_using_subcommand completion" -l certificate-authority -d 'Path to a certificate file for the certificate authority' -r
complete -c petctl -n "__fish_petctl_using_subcommand completion" -l request-timeout -d 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]' -r
complete -c petctl -n "__fish_petctl_using_subcommand completion" -s v -l v -d 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)' -r
complete -c petctl -n "__fish_petctl_using_subcommand completion" -l local -d 'Use the local control plane (started in the background if needed), whatever the kubeconfig says'
complete -c petctl -n "__fish_petctl_using_subcommand completion" -l insecure-skip-tls-verify -d 'Do not verify the server\'s certificate (insecure)'
complete -c petctl -n "__fish_petctl_using_subcommand completion" -s h -l help -d 'Print help'
complete -c petctl -n "__fish_petctl_using_subcommand completion" -s V -l version -d 'Print version'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from create get describe scale upgrade-image pause resume delete cleanup-pvcs migrate local config version completion help" -f -a "create" -d 'Create the governing Service, the set and the rest from manifests'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from create get describe scale upgrade-image pause resume delete cleanup-pvcs migrate local config version completion help" -f -a "get" -d 'List sets, their pets, pods and claims'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from create get describe scale upgrade-image pause resume delete cleanup-pvcs migrate local config version completion help" -f -a "describe" -d 'Show a set: its pets\' identities, storage, revisions and events'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from create get describe scale upgrade-image pause resume delete cleanup-pvcs migrate local config version completion help" -f -a "scale" -d 'Change a set\'s replicas: pets come up in order and go down in reverse'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from create get describe scale upgrade-image pause resume delete cleanup-pvcs migrate local config version completion help" -f -a "upgrade-image" -d 'Change container images and replace the pets one by one, in order'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from create get describe scale upgrade-image pause resume delete cleanup-pvcs migrate local config version completion help" -f -a "pause" -d 'Pause a set (or one pet of a PetSet): no pet is created, deleted or updated'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from create get describe scale upgrade-image pause resume delete cleanup-pvcs migrate local config version completion help" -f -a "resume" -d 'Resume a paused set (or one pet of a PetSet)'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from create get describe scale upgrade-image pause resume delete cleanup-pvcs migrate local config version completion help" -f -a "delete" -d 'Delete a set: scale to 0 in order, then delete it (claims are kept)'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from create get describe scale upgrade-image pause resume delete cleanup-pvcs migrate local config version completion help" -f -a "cleanup-pvcs" -d 'Delete the claims no pet of a set uses any more (asks first)'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from create get describe scale upgrade-image pause resume delete cleanup-pvcs migrate local config version completion help" -f -a "migrate" -d 'Convert PetSets and older StatefulSets to apps/v1 StatefulSets'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from create get describe scale upgrade-image pause resume delete cleanup-pvcs migrate local config version completion help" -f -a "local" -d 'Run the local control plane: a Kubernetes-compatible API server'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from create get describe scale upgrade-image pause resume delete cleanup-pvcs migrate local config version completion help" -f -a "config" -d 'Show the kubeconfig petctl uses'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from create get describe scale upgrade-image pause resume delete cleanup-pvcs migrate local config version completion help" -f -a "version" -d 'Print the client and server versions'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from create get describe scale upgrade-image pause resume delete cleanup-pvcs migrate local config version completion help" -f -a "completion" -d 'Print a shell completion script'
complete -c petctl -n "__fish_petctl_using_subcommand help; and not __fish_seen_subcommand_from create get describe scale upgrade-image pause resume delete cleanup-pvcs migrate local config version completion help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c petctl -n "__fish_petctl_using_subcommand help; and __fish_seen_subcommand_from local" -f -a "up" -d 'Start the local control plane'
complete -c petctl -n "__fish_petctl_using_subcommand help; and __fish_seen_subcommand_from local" -f -a "down" -d 'Stop the local control plane gracefully'
complete -c petctl -n "__fish_petctl_using_subcommand help; and __fish_seen_subcommand_from local" -f -a "status" -d 'Print the URL, pid, uptime, kubeconfig and object counts of the local control plane'
complete -c petctl -n "__fish_petctl_using_subcommand help; and __fish_seen_subcommand_from local" -f -a "kubeconfig-path" -d 'Print the path of the administrator\'s kubeconfig, for `export KUBECONFIG=$(petctl local kubeconfig-path)`'
complete -c petctl -n "__fish_petctl_using_subcommand help; and __fish_seen_subcommand_from local" -f -a "kubeconfig" -d 'Write a kubeconfig for another user, who authenticates with a client certificate from the local CA. Members of system:masters may do anything; every other user may only read (RBAC\'s view role)'
complete -c petctl -n "__fish_petctl_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "view" -d 'Print the merged kubeconfig, secrets redacted'
