//! petctl's integration tests: one binary. Tests that need a cluster start
//! their own local control plane on port 0 in a temp dir, with a scrubbed
//! environment, so a developer's real cluster is never touched.

mod support; // the harness: running petctl, temp dirs, fixtures, the SetManifest builder

mod architecture; // the layers: crate dependencies, reqwest only in the client, ops never import output, file lengths

mod cleanup; // cleanup-pvcs: a missing set deletes nothing, the --deleted-set form refuses what is in use
mod cleanup_races; // cleanup-pvcs racing a scale-up: at the prompt, against petctl scale, under latency
mod client; // create, get and describe against the local control plane, exact output
mod client_auth; // client certs, basic auth, 403s of a read-only user, tls-server-name, proxy-url, in-cluster
mod client_errors; // failing credentials, TLS mismatch, refused connections, non-Kubernetes servers
mod client_hardening; // credentials in server URLs, insecure-skip-tls-verify, endless credential files
mod completion; // `petctl __complete` names from the cluster on the line, bash on a pty, kubectl_complete-pets
mod convert_corpus; // PetSets and older StatefulSets convert to valid apps/v1
mod corpus; // every corpus manifest parses and validates as expected
mod corpus_validate; // corpus files validate: only the real problems are flagged
mod create_faults; // create -f under a 30 % fault rate: every object created, exit 0, seed printed
mod docs; // committed completions and man pages match the clap definitions
mod get_scale; // get pets asks only for what it prints: the set's pods by selector, in pages, no claims for the table
mod hooks; // --before-pet/--after-pet: a failing hook stops before its pet, variables, resumes, timeout, scale-down and delete
mod in_process; // ops driven in-process against LocalControlPlane::start
mod kubeconfig; // `petctl config view --minify` resolves like `kubectl config view --minify --flatten`
mod kubectl_cmd; // conformance: kubectl's own StatefulSet command tests (tests/cmd/apps.sh, from kubernetes test/cmd) with the real kubectl
mod lease; // the operation lease: refusals, --take-over, expiry, resume after kill -9, two takers at once
mod local_api; // the local control plane's REST semantics, errors and watches over HTTP
mod local_api_watch; // local watches over HTTP: resume from a revision, filters, 410 Gone, bookmarks
mod local_apply; // server-side apply: fieldManager, conflicts, force, pruning, managedFields of every write, kubectl --server-side
mod local_conformance; // conformance: upstream StatefulSet [Conformance] tests that break probes: roll out and back past a broken pet, burst scaling with unhealthy pets
mod local_controllers; // pause hook, crash loops, broken upgrades, nodes, foreground deletion, events
mod local_corpus; // the corpus: server dry-run of every Service and set, three sets reach all-Ready
mod local_disruption; // PodDisruptionBudgets: the disruption controller's status, eviction refusals (429, 500), kubectl drain one pet at a time on a timeline
mod local_dns; // cluster DNS with dig: per-pet A and SRV answers following readiness, publishNotReadyAddresses, ClusterIP A and PTR, NXDOMAIN, REFUSED, TCP; local status and describe
mod local_durability; // acknowledged writes survive kill -9; watch replay after restart
mod local_endpoints; // Endpoints and EndpointSlices with the real kubectl: columns, shapes, a slice's timeline as a pet goes unready and back, selector-less Services left alone, namespace deletion
mod local_event_sink; // the controllers' Event writer under kill -9 mid-stream: no Event ahead of its object, none twice, the controllers go on
mod local_exec; // kubectl exec and kubectl run -it into pets: the guide's identity and storage steps, exit codes, stdin, stderr, a terminal, attach with --rm, SPDY-only kubectl, a viewer's 403
mod local_faults; // --fault-rate, --fault-latency, --watch-drop-after and --fail-next
mod local_fidelity; // the local control plane answers as kube-apiserver: defaulted kinds, DELETE answers, 404s, stringData, dry-run versions, bad parameters, framing
mod local_fidelity_wire; // kube-apiserver fidelity on the wire: bad list/watch numbers, future resourceVersions, percent-decoded paths, broken chunks, 5000 headers
mod local_group_commit; // group commit under kill -9: concurrent creates, SIGKILL at seeded moments, acknowledged writes kept, no partial batch
mod local_guide; // the PetSet guide step by step with the real kubectl; kubectl helpers
mod local_hardening; // the server under slow and hostile clients: header and idle timeouts, the per-address cap, EMFILE, HTTP/2 early answers
mod local_kubectl; // conformance: the real kubectl drives `petctl local up`
mod local_lifecycle; // `local up --detach`, `status`, `down`
mod local_namespaces; // namespaces terminate, are emptied and finalized; default ServiceAccount and kube-root-ca.crt; immortal namespaces
mod local_namespaces_deletion; // a namespace's DELETE options: orphan and foregroundDeletion finalizers, the collector's part; its conditions on a timeline
mod local_nodes; // nodes and their loss: a stopped node goes Unknown, its pets stay Terminating until it starts; cordon, taints, nodeSelector, anti-affinity
mod local_openapi; // OpenAPI v2/v3 schemas and aggregated discovery: kubectl explain, hashes, agreement with upstream's recorded documents
mod local_patch; // PATCH validated before commit: every patch type, fieldValidation mode and subresource
mod local_probes; // probes and runtime faults: an unready pet halts ordered scaling, liveness back-off timing, exits, hangs, delays
mod local_protection; // claim protection: Terminating until unused, pets wait for a deleted claim, the D3 race
mod local_security; // HTTPS, HTTP/2, token auth, loopback only, private files
mod local_statefulset; // an apps/v1 StatefulSet's walk: revisions, RollingUpdate, OnDelete, Parallel, retention
mod local_storage; // StorageClasses: the default class, provisioners, expansion through the resize conditions, refusals
mod local_store; // the store: durability across kill -9, revision resume, watch replay, compaction
mod local_tokens; // service account tokens: kubectl create token, the claims, bearer authentication, 401 for tampered, expired, foreign and stale tokens
mod malformed_semantic; // invalid objects and unknown fields: exact messages, exit 2
mod malformed_syntax; // unreadable, unparsable and hostile manifests: exact messages, exit 2
mod migrate; // `petctl migrate` output and notices
mod operations; // scale and pause/resume: invariants on a watch timeline
mod operations_delete; // ordered and orphan delete, cleanup-pvcs, delete by file, faults: invariants on a watch timeline
mod plugin; // `kubectl pets …` through the real kubectl's plugin mechanism
mod pod_status; // conformance: pod STATUS (terminated, init, waiting reasons) in `petctl get pods` equals `kubectl get pods`
mod python_client; // conformance: the official Python kubernetes client (tests/python, pytest) drives `petctl local up`
mod recover; // recover: a pet stuck on a stopped node force-deleted and Ready on another node, others and claims untouched; a live node refused
mod resize_claims; // resize-claims: claims grown online and offline on timelines, the template swap, refusals before any change, SIGKILL after the orphan delete, the dry-run plan, kubectl get pvc
mod retention; // claims a retention policy makes the server delete: named, asked about, refused without --yes
mod timeline; // the invariant recorder: pods and claims watched during an operation, and checks on it
mod upgrade; // `petctl upgrade-image`: rollout invariants, plan, failures, rollback, kill -9 and resume, faults
mod upgrade_disruption; // upgrade-image --disruption: eviction waits on a PodDisruptionBudget's 429, delete does not
mod upgrade_fleet; // upgrade-image across several sets: -l, one budget, max-unavailable across sets, a failing set stops the rest
mod upgrade_races; // upgrade-image racing another upgrade, a kubectl scale-down, delete and template change
mod wait_blockers; // ImagePullBackOff and Unschedulable pets: said at once, once, and named at the timeout; kubectl's STATUS
mod wait_contract; // one --wait contract: blockers said at once, a paused set times out naming the pause, events of the current pod
mod zero_config; // no kubeconfig: the local control plane starts, is reused, and keeps its state
