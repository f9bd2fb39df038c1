
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'petctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'petctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'petctl' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create the governing Service, the set and the rest from manifests')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'List sets, their pets, pods and claims')
            [CompletionResult]::new('describe', 'describe', [CompletionResultType]::ParameterValue, 'Show a set: its pets'' identities, storage, revisions and events')
            [CompletionResult]::new('scale', 'scale', [CompletionResultType]::ParameterValue, 'Change a set''s replicas: pets come up in order and go down in reverse')
            [CompletionResult]::new('upgrade-image', 'upgrade-image', [CompletionResultType]::ParameterValue, 'Change container images and replace the pets one by one, in order')
            [CompletionResult]::new('resize-claims', 'resize-claims', [CompletionResultType]::ParameterValue, 'Grow the claims of a set''s volumeClaimTemplates, then recreate the set with the bigger templates')
            [CompletionResult]::new('pause', 'pause', [CompletionResultType]::ParameterValue, 'Pause a set (or one pet of a PetSet): no pet is created, deleted or updated')
            [CompletionResult]::new('resume', 'resume', [CompletionResultType]::ParameterValue, 'Resume a paused set (or one pet of a PetSet)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a set: scale to 0 in order, then delete it (claims are kept)')
            [CompletionResult]::new('recover', 'recover', [CompletionResultType]::ParameterValue, 'Force-delete the pets stuck on a lost node, after checking its Lease; await their successors')
            [CompletionResult]::new('cleanup-pvcs', 'cleanup-pvcs', [CompletionResultType]::ParameterValue, 'Delete the claims no pet of a set uses any more (asks first)')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Convert PetSets and older StatefulSets to apps/v1 StatefulSets')
            [CompletionResult]::new('local', 'local', [CompletionResultType]::ParameterValue, 'Run the local control plane: a Kubernetes-compatible API server')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show the kubeconfig petctl uses')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the client and server versions')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'petctl;create' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file, directory, or - for stdin (repeatable)')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Manifest file, directory, or - for stdin (repeatable)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'none, client (print only) or server (validated by the server, not stored)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: name, yaml or json')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: name, yaml or json')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits, e.g. 90s or 5m')
            [CompletionResult]::new('--validate', '--validate', [CompletionResultType]::ParameterName, 'How to treat unknown fields: strict, warn or ignore')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until every pet of every created set is Running and Ready and its status caught up')
            [CompletionResult]::new('--no-convert', '--no-convert', [CompletionResultType]::ParameterName, 'Refuse to convert a PetSet for a server that has only StatefulSets')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;get' {
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Label selector, e.g. app=nginx')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Label selector, e.g. app=nginx')
            [CompletionResult]::new('--field-selector', '--field-selector', [CompletionResultType]::ParameterName, 'Field selector, e.g. status.phase=Running')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: wide, yaml, json, name, jsonpath=TEMPLATE')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: wide, yaml, json, name, jsonpath=TEMPLATE')
            [CompletionResult]::new('--chunk-size', '--chunk-size', [CompletionResultType]::ParameterName, 'List in pages of this many objects, as kubectl does; 0 asks for all at once')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'List across all namespaces')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'List across all namespaces')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'After listing, watch for changes')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'After listing, watch for changes')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'Do not print headers')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;describe' {
            [CompletionResult]::new('--cluster-domain', '--cluster-domain', [CompletionResultType]::ParameterName, 'The cluster''s DNS domain, for pet DNS names')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;scale' {
            [CompletionResult]::new('--replicas', '--replicas', [CompletionResultType]::ParameterName, 'The number of pets wanted')
            [CompletionResult]::new('--current-replicas', '--current-replicas', [CompletionResultType]::ParameterName, 'Scale only if the set has this many replicas now')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long waits may take, e.g. 90s or 5m')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Print the outcome as: name or json')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Print the outcome as: name or json')
            [CompletionResult]::new('--before-pet', '--before-pet', [CompletionResultType]::ParameterName, 'Run CMD (sh -c, with PETCTL_PET and more: see docs/hooks.md) before each pet goes down; a non-zero exit stops before that pet')
            [CompletionResult]::new('--after-pet', '--after-pet', [CompletionResultType]::ParameterName, 'Run CMD once each pet is back (Ready and stable for the minimum ready time) or gone; a non-zero exit stops before the next pet')
            [CompletionResult]::new('--hook-timeout', '--hook-timeout', [CompletionResultType]::ParameterName, 'How long a hook may run before its process group is killed and the operation stops')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until every pet below --replicas is Running and Ready and every pet above it is gone')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before the server deletes claims (persistentVolumeClaimRetentionPolicy whenDeleted or whenScaled: Delete)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before the server deletes claims (persistentVolumeClaimRetentionPolicy whenDeleted or whenScaled: Delete)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan (which pets, in which order) and change nothing')
            [CompletionResult]::new('--take-over', '--take-over', [CompletionResultType]::ParameterName, 'Take the set''s operation lease even if another petctl operation holds it')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;upgrade-image' {
            [CompletionResult]::new('--order', '--order', [CompletionResultType]::ParameterName, 'descending (highest ordinal first, ordinal 0 last) or ascending')
            [CompletionResult]::new('--partition', '--partition', [CompletionResultType]::ParameterName, 'Replace only ordinals at or above K [default: a RollingUpdate set''s own partition, else 0]')
            [CompletionResult]::new('--pet-timeout', '--pet-timeout', [CompletionResultType]::ParameterName, 'How long each pet may take to be Running and Ready again')
            [CompletionResult]::new('--min-ready', '--min-ready', [CompletionResultType]::ParameterName, 'How long a replaced pet must stay Ready before the next one goes')
            [CompletionResult]::new('--max-unavailable', '--max-unavailable', [CompletionResultType]::ParameterName, 'How many pets may be not Ready at once (only 1 is supported)')
            [CompletionResult]::new('--disruption', '--disruption', [CompletionResultType]::ParameterName, 'auto (evict a pet a PodDisruptionBudget selects, else delete), evict (always, honouring budgets), or delete (ignore budgets)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Roll every PetSet and StatefulSet of the namespace this label selector matches, in one plan')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Roll every PetSet and StatefulSet of the namespace this label selector matches, in one plan')
            [CompletionResult]::new('--set-order', '--set-order', [CompletionResultType]::ParameterName, 'The order of several sets: given (as named) or name; with -l, by name')
            [CompletionResult]::new('--before-pet', '--before-pet', [CompletionResultType]::ParameterName, 'Run CMD (sh -c, with PETCTL_PET and more: see docs/hooks.md) before each pet goes down; a non-zero exit stops before that pet')
            [CompletionResult]::new('--after-pet', '--after-pet', [CompletionResultType]::ParameterName, 'Run CMD once each pet is back (Ready and stable for the minimum ready time) or gone; a non-zero exit stops before the next pet')
            [CompletionResult]::new('--hook-timeout', '--hook-timeout', [CompletionResultType]::ParameterName, 'How long a hook may run before its process group is killed and the operation stops')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'A limit for the whole upgrade; 0 means none')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output: name or json (the outcome)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output: name or json (the outcome)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace unready pets even when they do not look broken')
            [CompletionResult]::new('--rollback-on-failure', '--rollback-on-failure', [CompletionResultType]::ParameterName, 'When a pet does not get Ready, put the old image back in the template and bring that pet back on it')
            [CompletionResult]::new('--take-over', '--take-over', [CompletionResultType]::ParameterName, 'Take the set''s operation lease even if another petctl operation holds it')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan only')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;resize-claims' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long waits may take, e.g. 90s or 5m')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Print the outcome as: name or json')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Print the outcome as: name or json')
            [CompletionResult]::new('--pet-timeout', '--pet-timeout', [CompletionResultType]::ParameterName, 'How long a restarted pet may take to be Running and Ready again')
            [CompletionResult]::new('--filesystem-wait', '--filesystem-wait', [CompletionResultType]::ParameterName, 'How long a claim may wait to grow while its pet runs before the pet is restarted for it')
            [CompletionResult]::new('--before-pet', '--before-pet', [CompletionResultType]::ParameterName, 'Run CMD (sh -c, with PETCTL_PET and more: see docs/hooks.md) before each pet goes down; a non-zero exit stops before that pet')
            [CompletionResult]::new('--after-pet', '--after-pet', [CompletionResultType]::ParameterName, 'Run CMD once each pet is back (Ready and stable for the minimum ready time) or gone; a non-zero exit stops before the next pet')
            [CompletionResult]::new('--hook-timeout', '--hook-timeout', [CompletionResultType]::ParameterName, 'How long a hook may run before its process group is killed and the operation stops')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--take-over', '--take-over', [CompletionResultType]::ParameterName, 'Take the set''s operation lease even if another petctl operation holds it')
            [CompletionResult]::new('--include-retained', '--include-retained', [CompletionResultType]::ParameterName, 'Resize the claims of scaled-away ordinals too')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan only: every claim, retained ones too')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;pause' {
            [CompletionResult]::new('--pet', '--pet', [CompletionResultType]::ParameterName, 'Only this pet (PetSets): the guide''s per-pet debug hook')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Print the outcome as: name or json')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Print the outcome as: name or json')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the change may take, e.g. 90s or 5m')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'pause: wait until the controller has seen it; resume: until every pet is Running and Ready')
            [CompletionResult]::new('--take-over', '--take-over', [CompletionResultType]::ParameterName, 'Take the set''s operation lease even if another petctl operation holds it')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Send the change as a server dry run: validated, not stored')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;resume' {
            [CompletionResult]::new('--pet', '--pet', [CompletionResultType]::ParameterName, 'Only this pet (PetSets): the guide''s per-pet debug hook')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Print the outcome as: name or json')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Print the outcome as: name or json')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the change may take, e.g. 90s or 5m')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'pause: wait until the controller has seen it; resume: until every pet is Running and Ready')
            [CompletionResult]::new('--take-over', '--take-over', [CompletionResultType]::ParameterName, 'Take the set''s operation lease even if another petctl operation holds it')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Send the change as a server dry run: validated, not stored')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;delete' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Delete what these manifests create: the sets first (in order), then the rest; claims and namespaces are kept')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Delete what these manifests create: the sets first (in order), then the rest; claims and namespaces are kept')
            [CompletionResult]::new('--cascade', '--cascade', [CompletionResultType]::ParameterName, 'true (scale to 0 in order, then delete), false/orphan (the pets keep running), background, foreground')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long waits may take, e.g. 90s or 5m')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Print the outcome as: name or json')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Print the outcome as: name or json')
            [CompletionResult]::new('--before-pet', '--before-pet', [CompletionResultType]::ParameterName, 'Run CMD (sh -c, with PETCTL_PET and more: see docs/hooks.md) before each pet goes down; a non-zero exit stops before that pet')
            [CompletionResult]::new('--after-pet', '--after-pet', [CompletionResultType]::ParameterName, 'Run CMD once each pet is back (Ready and stable for the minimum ready time) or gone; a non-zero exit stops before the next pet')
            [CompletionResult]::new('--hook-timeout', '--hook-timeout', [CompletionResultType]::ParameterName, 'How long a hook may run before its process group is killed and the operation stops')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until the set is gone (an ordered delete always waits for its pets and the set)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before the server deletes claims (persistentVolumeClaimRetentionPolicy whenDeleted or whenScaled: Delete)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before the server deletes claims (persistentVolumeClaimRetentionPolicy whenDeleted or whenScaled: Delete)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan (which pets, in which order) and change nothing')
            [CompletionResult]::new('--take-over', '--take-over', [CompletionResultType]::ParameterName, 'Take the set''s operation lease even if another petctl operation holds it')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;recover' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long each recreated pet may take to be Running and Ready')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output: name (the recovered pods) or json (the outcome)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output: name (the recovered pods) or json (the outcome)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--take-over', '--take-over', [CompletionResultType]::ParameterName, 'Take the set''s operation lease even if another petctl operation holds it')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'List the stuck pets, their nodes and heartbeats, and change nothing')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;cleanup-pvcs' {
            [CompletionResult]::new('--deleted-set', '--deleted-set', [CompletionResultType]::ParameterName, 'Clean up after a set that is already deleted: its NAME (needs --template and -l)')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'With --deleted-set: a claim template of the deleted set (repeatable)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Only claims with these labels; with --deleted-set, the set''s selector labels')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'Only claims with these labels; with --deleted-set, the set''s selector labels')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Print the outcome as: name or json')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Print the outcome as: name or json')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for terminating pets before choosing, and for each deleted claim, e.g. 90s or 5m')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--take-over', '--take-over', [CompletionResultType]::ParameterName, 'Take the set''s operation lease even if another petctl operation holds it')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'List the claims that would be deleted, and delete nothing')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;migrate' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file, directory, or - for stdin (repeatable)')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Manifest file, directory, or - for stdin (repeatable)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The apiVersion to convert to')
            [CompletionResult]::new('--validate', '--validate', [CompletionResultType]::ParameterName, 'How to treat unknown fields: strict, warn or ignore')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;local' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'Start the local control plane')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Stop the local control plane gracefully')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Print the URL, pid, uptime, kubeconfig and object counts of the local control plane')
            [CompletionResult]::new('node', 'node', [CompletionResultType]::ParameterValue, 'List, add, stop and start the simulated nodes')
            [CompletionResult]::new('kubeconfig-path', 'kubeconfig-path', [CompletionResultType]::ParameterValue, 'Print the path of the administrator''s kubeconfig, for `export KUBECONFIG=$(petctl local kubeconfig-path)`')
            [CompletionResult]::new('kubeconfig', 'kubeconfig', [CompletionResultType]::ParameterValue, 'Write a kubeconfig for another user, who authenticates with a client certificate from the local CA. Members of system:masters may do anything; every other user may only read (RBAC''s view role)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'petctl;local;up' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'The state directory [default: $PETCTL_LOCAL_DIR, else $XDG_STATE_HOME/petctl/local]')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The port on 127.0.0.1; 0 picks a free one')
            [CompletionResult]::new('--fault-rate', '--fault-rate', [CompletionResultType]::ParameterName, 'Fraction (0 to 1) of non-watch requests answered with 500, 429 or a dropped connection (before or after handling)')
            [CompletionResult]::new('--fault-seed', '--fault-seed', [CompletionResultType]::ParameterName, 'Where the fault dice start, to replay a run (the server log names the seed) [default: random]')
            [CompletionResult]::new('--fail-next', '--fail-next', [CompletionResultType]::ParameterName, 'The next request of VERB on RESOURCE fails once with CODE and a Status body, or with lost is handled and its answer dropped, e.g. delete:persistentvolumeclaims:500, patch:statefulsets:409 or patch:statefulsets:lost; repeatable')
            [CompletionResult]::new('--fault-latency', '--fault-latency', [CompletionResultType]::ParameterName, 'Latency added to every request, e.g. 100ms')
            [CompletionResult]::new('--watch-drop-after', '--watch-drop-after', [CompletionResultType]::ParameterName, 'Close watch streams at a random time of up to D, e.g. 30s')
            [CompletionResult]::new('--bookmark-interval', '--bookmark-interval', [CompletionResultType]::ParameterName, 'How often watches that allow bookmarks get one')
            [CompletionResult]::new('--event-window', '--event-window', [CompletionResultType]::ParameterName, 'How many events are kept for watch resume (the compaction window)')
            [CompletionResult]::new('--header-timeout', '--header-timeout', [CompletionResultType]::ParameterName, 'How long a client may take to send a request''s headers (and its TLS handshake)')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'How long a kept-alive connection may wait for its next request')
            [CompletionResult]::new('--max-connections-per-address', '--max-connections-per-address', [CompletionResultType]::ParameterName, 'How many connections one client address may hold at once')
            [CompletionResult]::new('--nodes', '--nodes', [CompletionResultType]::ParameterName, 'How many nodes the simulated kubelet registers')
            [CompletionResult]::new('--ready-delay', '--ready-delay', [CompletionResultType]::ParameterName, 'How long a started pod takes to become Ready (0 allowed)')
            [CompletionResult]::new('--max-grace', '--max-grace', [CompletionResultType]::ParameterName, 'Cap on the termination grace period of deleted pods, e.g. 0s')
            [CompletionResult]::new('--basic-auth-file', '--basic-auth-file', [CompletionResultType]::ParameterName, 'Also accept HTTP basic auth for the users in FILE (password,user,uid[,"group1,group2"]), as kube-apiserver''s --basic-auth-file did until 1.19')
            [CompletionResult]::new('--fail-images', '--fail-images', [CompletionResultType]::ParameterName, 'Pods whose image matches GLOB (with * and ?) never become Ready and crash-loop; repeatable')
            [CompletionResult]::new('--unpullable-images', '--unpullable-images', [CompletionResultType]::ParameterName, 'Pods whose image matches GLOB cannot pull it and stay Pending in ImagePullBackOff; repeatable')
            [CompletionResult]::new('--node-monitor-grace', '--node-monitor-grace', [CompletionResultType]::ParameterName, 'How long a node''s Lease may go unrenewed before the node is marked NotReady (Unknown) and tainted unreachable')
            [CompletionResult]::new('--backoff-scale', '--backoff-scale', [CompletionResultType]::ParameterName, 'Factor on the kubelet''s crash-loop and image-pull back-off (10s doubling to 5m at 1)')
            [CompletionResult]::new('--probe-scale', '--probe-scale', [CompletionResultType]::ParameterName, 'Factor on probes'' initialDelaySeconds, periodSeconds and timeoutSeconds (1 keeps the pods'' own timing)')
            [CompletionResult]::new('--default-storage-class', '--default-storage-class', [CompletionResultType]::ParameterName, 'The name of the default StorageClass created at start (provisioner petctl.local/hostpath)')
            [CompletionResult]::new('--dns-port', '--dns-port', [CompletionResultType]::ParameterName, 'Port of the cluster DNS on 127.0.0.1, UDP and TCP (0: a free port, printed by `up` and `local status`)')
            [CompletionResult]::new('--cluster-domain', '--cluster-domain', [CompletionResultType]::ParameterName, 'The cluster''s DNS domain, as kubelet''s --cluster-domain')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--detach', '--detach', [CompletionResultType]::ParameterName, 'Run in the background and return once the server is ready')
            [CompletionResult]::new('--allow-volume-expansion', '--allow-volume-expansion', [CompletionResultType]::ParameterName, 'Let the default StorageClass expand its claims (allowVolumeExpansion: true)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;local;down' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'The state directory [default: $PETCTL_LOCAL_DIR, else $XDG_STATE_HOME/petctl/local]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;local;status' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'The state directory [default: $PETCTL_LOCAL_DIR, else $XDG_STATE_HOME/petctl/local]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;local;node' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the nodes, their Ready status and whether their kubelet runs')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a node that the simulated kubelet runs')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop a node''s kubelet: it renews no Lease, posts no status and confirms no pod')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start a stopped node''s kubelet again')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'petctl;local;node;list' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'The state directory [default: $PETCTL_LOCAL_DIR, else $XDG_STATE_HOME/petctl/local]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;local;node;add' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'The state directory [default: $PETCTL_LOCAL_DIR, else $XDG_STATE_HOME/petctl/local]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;local;node;stop' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'The state directory [default: $PETCTL_LOCAL_DIR, else $XDG_STATE_HOME/petctl/local]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;local;node;start' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'The state directory [default: $PETCTL_LOCAL_DIR, else $XDG_STATE_HOME/petctl/local]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;local;node;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the nodes, their Ready status and whether their kubelet runs')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a node that the simulated kubelet runs')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop a node''s kubelet: it renews no Lease, posts no status and confirms no pod')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start a stopped node''s kubelet again')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'petctl;local;node;help;list' {
            break
        }
        'petctl;local;node;help;add' {
            break
        }
        'petctl;local;node;help;stop' {
            break
        }
        'petctl;local;node;help;start' {
            break
        }
        'petctl;local;node;help;help' {
            break
        }
        'petctl;local;kubeconfig-path' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'The state directory [default: $PETCTL_LOCAL_DIR, else $XDG_STATE_HOME/petctl/local]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;local;kubeconfig' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'The state directory [default: $PETCTL_LOCAL_DIR, else $XDG_STATE_HOME/petctl/local]')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The user name (the certificate''s CommonName)')
            [CompletionResult]::new('--group', '--group', [CompletionResultType]::ParameterName, 'A group of the user (an Organization of the certificate); repeatable')
            [CompletionResult]::new('--days', '--days', [CompletionResultType]::ParameterName, 'How many days the certificate is valid')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The file to write (mode 0600), or - for stdout; a symlink is written through, a device or other special file is refused')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'The file to write (mode 0600), or - for stdout; a symlink is written through, a device or other special file is refused')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;local;help' {
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'Start the local control plane')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Stop the local control plane gracefully')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Print the URL, pid, uptime, kubeconfig and object counts of the local control plane')
            [CompletionResult]::new('node', 'node', [CompletionResultType]::ParameterValue, 'List, add, stop and start the simulated nodes')
            [CompletionResult]::new('kubeconfig-path', 'kubeconfig-path', [CompletionResultType]::ParameterValue, 'Print the path of the administrator''s kubeconfig, for `export KUBECONFIG=$(petctl local kubeconfig-path)`')
            [CompletionResult]::new('kubeconfig', 'kubeconfig', [CompletionResultType]::ParameterValue, 'Write a kubeconfig for another user, who authenticates with a client certificate from the local CA. Members of system:masters may do anything; every other user may only read (RBAC''s view role)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'petctl;local;help;up' {
            break
        }
        'petctl;local;help;down' {
            break
        }
        'petctl;local;help;status' {
            break
        }
        'petctl;local;help;node' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the nodes, their Ready status and whether their kubelet runs')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a node that the simulated kubelet runs')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop a node''s kubelet: it renews no Lease, posts no status and confirms no pod')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start a stopped node''s kubelet again')
            break
        }
        'petctl;local;help;node;list' {
            break
        }
        'petctl;local;help;node;add' {
            break
        }
        'petctl;local;help;node;stop' {
            break
        }
        'petctl;local;help;node;start' {
            break
        }
        'petctl;local;help;kubeconfig-path' {
            break
        }
        'petctl;local;help;kubeconfig' {
            break
        }
        'petctl;local;help;help' {
            break
        }
        'petctl;config' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('view', 'view', [CompletionResultType]::ParameterValue, 'Print the merged kubeconfig, secrets redacted')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'petctl;config;view' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--minify', '--minify', [CompletionResultType]::ParameterName, 'Only the current context, its cluster and its user, with overrides applied')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;config;help' {
            [CompletionResult]::new('view', 'view', [CompletionResultType]::ParameterValue, 'Print the merged kubeconfig, secrets redacted')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'petctl;config;help;view' {
            break
        }
        'petctl;config;help;help' {
            break
        }
        'petctl;version' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: json or yaml')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: json or yaml')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--client', '--client', [CompletionResultType]::ParameterName, 'Only the client version; do not contact the server')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;completion' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace; defaults to the context''s namespace, else "default"')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The address and port of the API server')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token for authentication to the API server')
            [CompletionResult]::new('--certificate-authority', '--certificate-authority', [CompletionResultType]::ParameterName, 'Path to a certificate file for the certificate authority')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for a single request, watches excepted (e.g. 30s, 1m); 0 means no limit [default: 60s]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'Log verbosity: 6 logs requests, 8 adds bodies (secrets are always redacted)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Use the local control plane (started in the background if needed), whatever the kubeconfig says')
            [CompletionResult]::new('--insecure-skip-tls-verify', '--insecure-skip-tls-verify', [CompletionResultType]::ParameterName, 'Do not verify the server''s certificate (insecure)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'petctl;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create the governing Service, the set and the rest from manifests')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'List sets, their pets, pods and claims')
            [CompletionResult]::new('describe', 'describe', [CompletionResultType]::ParameterValue, 'Show a set: its pets'' identities, storage, revisions and events')
            [CompletionResult]::new('scale', 'scale', [CompletionResultType]::ParameterValue, 'Change a set''s replicas: pets come up in order and go down in reverse')
            [CompletionResult]::new('upgrade-image', 'upgrade-image', [CompletionResultType]::ParameterValue, 'Change container images and replace the pets one by one, in order')
            [CompletionResult]::new('resize-claims', 'resize-claims', [CompletionResultType]::ParameterValue, 'Grow the claims of a set''s volumeClaimTemplates, then recreate the set with the bigger templates')
            [CompletionResult]::new('pause', 'pause', [CompletionResultType]::ParameterValue, 'Pause a set (or one pet of a PetSet): no pet is created, deleted or updated')
            [CompletionResult]::new('resume', 'resume', [CompletionResultType]::ParameterValue, 'Resume a paused set (or one pet of a PetSet)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a set: scale to 0 in order, then delete it (claims are kept)')
            [CompletionResult]::new('recover', 'recover', [CompletionResultType]::ParameterValue, 'Force-delete the pets stuck on a lost node, after checking its Lease; await their successors')
            [CompletionResult]::new('cleanup-pvcs', 'cleanup-pvcs', [CompletionResultType]::ParameterValue, 'Delete the claims no pet of a set uses any more (asks first)')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Convert PetSets and older StatefulSets to apps/v1 StatefulSets')
            [CompletionResult]::new('local', 'local', [CompletionResultType]::ParameterValue, 'Run the local control plane: a Kubernetes-compatible API server')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show the kubeconfig petctl uses')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the client and server versions')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'petctl;help;create' {
            break
        }
        'petctl;help;get' {
            break
        }
        'petctl;help;describe' {
            break
        }
        'petctl;help;scale' {
            break
        }
        'petctl;help;upgrade-image' {
            break
        }
        'petctl;help;resize-claims' {
            break
        }
        'petctl;help;pause' {
            break
        }
        'petctl;help;resume' {
            break
        }
        'petctl;help;delete' {
            break
        }
        'petctl;help;recover' {
            break
        }
        'petctl;help;cleanup-pvcs' {
            break
        }
        'petctl;help;migrate' {
            break
        }
        'petctl;help;local' {
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'Start the local control plane')
            [CompletionResult]::new('down', 'down', [CompletionResultType]::ParameterValue, 'Stop the local control plane gracefully')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Print the URL, pid, uptime, kubeconfig and object counts of the local control plane')
            [CompletionResult]::new('node', 'node', [CompletionResultType]::ParameterValue, 'List, add, stop and start the simulated nodes')
            [CompletionResult]::new('kubeconfig-path', 'kubeconfig-path', [CompletionResultType]::ParameterValue, 'Print the path of the administrator''s kubeconfig, for `export KUBECONFIG=$(petctl local kubeconfig-path)`')
            [CompletionResult]::new('kubeconfig', 'kubeconfig', [CompletionResultType]::ParameterValue, 'Write a kubeconfig for another user, who authenticates with a client certificate from the local CA. Members of system:masters may do anything; every other user may only read (RBAC''s view role)')
            break
        }
        'petctl;help;local;up' {
            break
        }
        'petctl;help;local;down' {
            break
        }
        'petctl;help;local;status' {
            break
        }
        'petctl;help;local;node' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the nodes, their Ready status and whether their kubelet runs')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a node that the simulated kubelet runs')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop a node''s kubelet: it renews no Lease, posts no status and confirms no pod')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start a stopped node''s kubelet again')
            break
        }
        'petctl;help;local;node;list' {
            break
        }
        'petctl;help;local;node;add' {
            break
        }
        'petctl;help;local;node;stop' {
            break
        }
        'petctl;help;local;node;start' {
            break
        }
        'petctl;help;local;kubeconfig-path' {
            break
        }
        'petctl;help;local;kubeconfig' {
            break
        }
        'petctl;help;config' {
            [CompletionResult]::new('view', 'view', [CompletionResultType]::ParameterValue, 'Print the merged kubeconfig, secrets redacted')
            break
        }
        'petctl;help;config;view' {
            break
        }
        'petctl;help;version' {
            break
        }
        'petctl;help;completion' {
            break
        }
        'petctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
