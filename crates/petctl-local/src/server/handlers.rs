//! The API handler: authentication, routing, and one function per verb
//! (get, list, watch, create, update, patch, delete, deletecollection)
//! calling the registry and rendering its answer.

use std::sync::Arc;

use axum::body::Body;
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Request, Response};
use serde_json::{json, Value};

use super::body::{self, MAX_BODY_BYTES};
use super::query::Params;
use super::route::{self, ResourcePath, Route};
use super::{
    auth, authz, discovery, exec, filter, list, logs, openapi, respond, reviews, table, token,
    watch, App,
};
use crate::registry::error::ApiError;
use crate::registry::{
    eviction, meta, DeleteOptions, Deleted, Page, PatchType, Registry, Target, WriteOptions,
    Written,
};

pub async fn handle(app: Arc<App>, request: Request<Incoming>) -> Response<Body> {
    let (mut parts, incoming) = request.into_parts();
    if header_bytes(&parts.headers) > super::listener::MAX_HEADER_BYTES {
        super::log(&format!("{} {} 431", parts.method, parts.uri));
        return respond::text(431, "431 Request Header Fields Too Large");
    }
    // Go's net/http hands the apiserver the decoded path (URL.Path), so
    // `web%2D0` names the pod web-0.
    let path = percent_encoding::percent_decode_str(parts.uri.path())
        .decode_utf8_lossy()
        .into_owned();
    let started = std::time::Instant::now();
    let user = auth::authenticate(
        &parts.headers,
        &app.token,
        &app.basic_users,
        parts.extensions.get::<auth::CertificateUser>(),
    );
    let user = match user {
        Some(user) => Some(user),
        None => token::authenticate_bearer(&app, &parts.headers).await,
    };
    if user.is_none() && !auth::is_public(&path) {
        super::log(&format!("{} {} 401", parts.method, parts.uri));
        return respond::error(&ApiError::unauthorized());
    }
    let params = Params::parse(parts.uri.query().unwrap_or("")).with_user_agent(
        parts
            .headers
            .get(hyper::header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
    );
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let content_length = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let accept = parts
        .headers
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let request = ApiRequest {
        accept,
        method: parts.method.clone(),
        params,
        content_type,
        content_length,
        body: Body::new(incoming),
    };
    let response = match route::resolve(&path) {
        Route::Review => match (&user, request.method == Method::POST) {
            (Some(user), true) => review(&path, user, request)
                .await
                .unwrap_or_else(|err| respond::error(&err)),
            _ => respond::error(&ApiError::method_not_allowed()),
        },
        Route::Resource(target) => {
            let verb = authz::verb(
                &request.method,
                &target,
                target.watch || request.params.flag("watch"),
            );
            let allowed = match &user {
                Some(user) => authz::authorize(user, verb, &target),
                None => Err(ApiError::unauthorized()),
            };
            match allowed {
                Ok(()) if exec::is_streaming(&target) => {
                    let upgrade = parts.extensions.remove::<hyper::upgrade::OnUpgrade>();
                    let query = parts.uri.query().unwrap_or("");
                    exec::serve(
                        app.clone(),
                        target,
                        &request.method,
                        query,
                        &parts.headers,
                        upgrade,
                    )
                    .await
                    .unwrap_or_else(|err| respond::error(&err))
                }
                Ok(()) => resource(app.clone(), target, request)
                    .await
                    .unwrap_or_else(|err| respond::error(&err)),
                Err(err) => respond::error(&err),
            }
        }
        Route::OpenApiV2 if request.method == Method::GET => {
            if request.accept.contains("protobuf") {
                let bytes = openapi::v2::document_protobuf();
                respond::bytes(200, openapi::v2::PROTOBUF, bytes)
            } else {
                respond::ok(&openapi::v2::document_json())
            }
        }
        Route::OpenApi { group, version } if request.method == Method::GET => {
            let if_none_match = parts
                .headers
                .get(hyper::header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok());
            let query = parts.uri.query().unwrap_or("");
            openapi::v3_response(&group, &version, query, if_none_match)
                .unwrap_or_else(|| respond::error(&ApiError::path_not_found()))
        }
        listing @ (Route::CoreVersions | Route::Groups) if request.method == Method::GET => {
            match discovery::aggregated::negotiate(&request.accept) {
                Some(version) => {
                    let list = if listing == Route::CoreVersions {
                        discovery::aggregated::core(version)
                    } else {
                        discovery::aggregated::named_groups(version)
                    };
                    let mut response = respond::ok(&list);
                    let headers = response.headers_mut();
                    headers.insert(
                        CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static(version.content_type()),
                    );
                    headers.insert(
                        hyper::header::VARY,
                        hyper::header::HeaderValue::from_static("Accept"),
                    );
                    response
                }
                None => discovery_route(&app, listing, &request.method),
            }
        }
        other => discovery_route(&app, other, &request.method),
    };
    super::log(&format!(
        "{} {} {} {}ms",
        parts.method,
        parts.uri,
        response.status().as_u16(),
        started.elapsed().as_millis()
    ));
    response
}

/// The size of the header block as net/http counts it against
/// MaxHeaderBytes: every `Name: value\r\n` line.
fn header_bytes(headers: &hyper::HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum()
}

async fn review(
    path: &str,
    user: &auth::User,
    request: ApiRequest,
) -> Result<Response<Body>, ApiError> {
    let (_, content_type, bytes) = request.bytes().await?;
    let object = body::decode_object(content_type.as_deref(), &bytes)?;
    let answer = reviews::answer(path, user, object)?;
    Ok(respond::json(201, &answer))
}

fn discovery_route(app: &App, route: Route, method: &Method) -> Response<Body> {
    // A path that names nothing served is a 404 whatever the method: the
    // apiserver's NotFoundHandler answers before any method is looked at
    // (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go).
    if route == Route::NotFound {
        return respond::error(&ApiError::path_not_found());
    }
    if method != Method::GET && method != Method::HEAD {
        return respond::error(&ApiError::method_not_allowed());
    }
    let document = match route {
        Route::Health => return respond::text(200, "ok"),
        Route::Version => Some(discovery::version()),
        Route::CoreVersions => Some(discovery::core_versions(&app.address)),
        Route::Groups => Some(discovery::group_list()),
        Route::Group(group) => discovery::group(&group),
        Route::ResourceList { group, version } => discovery::resource_list(&group, &version),
        Route::ServerStatus => Some(app.status()),
        Route::OpenApiRoot => Some(openapi::v3::root()),
        Route::OpenApi { .. } => None,
        Route::Resource(_) | Route::Review | Route::NotFound | Route::OpenApiV2 => None,
    };
    match document {
        Some(document) => respond::ok(&document),
        None => respond::error(&ApiError::path_not_found()),
    }
}

/// The parts of a request a verb needs.
struct ApiRequest {
    accept: String,
    method: Method,
    params: Params,
    content_type: Option<String>,
    content_length: Option<usize>,
    body: Body,
}

impl ApiRequest {
    async fn bytes(self) -> Result<(Params, Option<String>, Vec<u8>), ApiError> {
        if self.content_length.is_some_and(|n| n > MAX_BODY_BYTES) {
            return Err(ApiError::too_large(MAX_BODY_BYTES));
        }
        let bytes = axum::body::to_bytes(self.body, MAX_BODY_BYTES)
            .await
            .map_err(|err| body_error(&err))?;
        Ok((self.params, self.content_type, bytes.to_vec()))
    }

    /// The DeleteOptions of a DELETE, from its optional body (none when it
    /// is empty) or else its query, and the write options they imply.
    async fn delete_options(self) -> Result<(Params, DeleteOptions, WriteOptions), ApiError> {
        let (params, content_type, bytes) = self.bytes().await?;
        let body = if bytes.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            Some(body::decode_object(content_type.as_deref(), &bytes)?)
        };
        let options = params.delete_options(body.as_ref())?;
        let write = WriteOptions {
            dry_run: options.is_dry_run(),
            ..WriteOptions::default()
        };
        Ok((params, options, write))
    }
}

/// A body that could not be read: over the limit (413), or broken on the
/// wire, e.g. a chunk size that is no hex number, which is the client's
/// fault (400), not a size problem.
fn body_error(err: &(dyn std::error::Error + 'static)) -> ApiError {
    let mut cause = Some(err);
    while let Some(current) = cause {
        if let Some(framing) = current.downcast_ref::<hyper::Error>() {
            let mut message = framing.to_string();
            let mut source = std::error::Error::source(framing);
            while let Some(inner) = source {
                message = format!("{message}: {inner}");
                source = inner.source();
            }
            return ApiError::bad_request(message);
        }
        cause = current.source();
    }
    ApiError::too_large(MAX_BODY_BYTES)
}

async fn resource(
    app: Arc<App>,
    path: ResourcePath,
    request: ApiRequest,
) -> Result<Response<Body>, ApiError> {
    let kind = path.kind;
    if let Some(sub) = &path.subresource {
        if !kind.has_subresource(sub) {
            return Err(ApiError::path_not_found());
        }
    }
    let namespace = path.namespace.clone();
    let collection = path.name.is_none();
    if collection && path.subresource.is_some() {
        return Err(ApiError::path_not_found());
    }
    // A namespaced kind named without a namespace: only lists across all
    // namespaces make sense.
    if kind.namespaced && namespace.is_none() && !(collection && request.method == Method::GET) {
        return Err(if collection {
            ApiError::method_not_allowed()
        } else {
            ApiError::path_not_found()
        });
    }
    let target = path.name.clone().map(|name| Target {
        kind,
        namespace: namespace.clone().unwrap_or_default(),
        name,
    });
    let is_watch = path.watch || request.params.flag("watch");
    let as_table = (table::wants_table(&request.accept) && path.subresource.is_none())
        .then(|| table::Include::parse(request.params.get("includeObject")));
    match (&request.method, target) {
        (&Method::GET, None) if is_watch => {
            let filter = filter::from_params(kind, namespace.as_deref(), &request.params)?;
            watch::start(app, kind, filter, &request.params, as_table)
        }
        (&Method::GET, Some(target)) if is_watch => {
            let name = target.name.clone();
            let base = filter::from_params(kind, namespace.as_deref(), &request.params)?;
            let filter: filter::Filter =
                Arc::new(move |o: &Value| meta::name(o) == name && base(o));
            watch::start(app, kind, filter, &request.params, as_table)
        }
        (&Method::GET, None) => {
            let filter = filter::from_params(kind, namespace.as_deref(), &request.params)?;
            let limit = request.params.limit()?;
            // The list is always the current state, so a resourceVersion
            // only has to be reached (the cacher's waitUntilFreshAndBlock).
            request.params.timeout()?;
            if let Some(revision) = request.params.resource_version()? {
                watch::wait_until_fresh(&app, revision).await?;
            }
            let token = request.params.get("continue").map(str::to_string);
            let selective = ["labelSelector", "fieldSelector"]
                .iter()
                .any(|p| request.params.get(p).is_some_and(|s| !s.trim().is_empty()));
            let list = list::ListRequest {
                kind,
                namespace,
                filter: selective.then_some(filter),
                limit,
                token,
            };
            Ok(match as_table {
                Some(include) => {
                    let page: Page = blocking(app, move |r| list.page(r)).await?;
                    let metadata = list::metadata(&page);
                    respond::ok(&table::table(kind, &page.items, metadata, include))
                }
                None => list::response(kind, blocking(app, move |r| list.page(r)).await?),
            })
        }
        (&Method::GET, Some(target)) if path.subresource.as_deref() == Some("log") => {
            let live = app.registry.store().subscribe();
            let shutdown = app.shutdown.clone();
            let pod = blocking(app, move |registry| registry.get(&target)).await?;
            let log = logs::log(&pod, &request.params)?;
            let follow = request.params.flag("follow");
            Ok(match log.running_since.clone().filter(|_| follow) {
                Some(since) => logs::follow(log, since, &pod, live, shutdown),
                None => respond::bytes(200, "text/plain", log.text.into_bytes()),
            })
        }
        (_, Some(_)) if path.subresource.as_deref() == Some("log") => {
            Err(ApiError::method_not_allowed())
        }
        (&Method::POST, Some(target)) if path.subresource.as_deref() == Some("token") => {
            let (_, content_type, bytes) = request.bytes().await?;
            let object = body::decode_object(content_type.as_deref(), &bytes)?;
            let signer = app.signer.clone();
            let answer = blocking(app, move |registry| {
                token::create(&signer, registry, &target, &object)
            })
            .await?;
            Ok(respond::json(201, &answer))
        }
        (_, Some(_)) if path.subresource.as_deref() == Some("token") => {
            Err(ApiError::method_not_allowed())
        }
        (&Method::POST, Some(target)) if path.subresource.as_deref() == Some("eviction") => {
            let (params, content_type, bytes) = request.bytes().await?;
            let eviction = body::decode_object(content_type.as_deref(), &bytes)?;
            let dry_run: Vec<String> = if params.write_options()?.dry_run {
                vec!["All".into()]
            } else {
                Vec::new()
            };
            let answer = blocking(app, move |registry| {
                eviction::evict(registry, &target, &eviction, &dry_run)
            })
            .await?;
            Ok(respond::json(answer.code, &answer.status))
        }
        (_, Some(_)) if path.subresource.as_deref() == Some("eviction") => {
            Err(ApiError::method_not_allowed())
        }
        (&Method::GET, Some(target)) if path.subresource.is_none() && as_table.is_none() => {
            let json = blocking(app, move |registry| registry.get_json(&target)).await?;
            Ok(respond::stored(json))
        }
        (&Method::GET, Some(target)) => {
            let sub = path.subresource.clone();
            let object = blocking(app, move |registry| match sub.as_deref() {
                Some(sub) => registry.get_subresource(&target, sub),
                None => registry.get(&target),
            })
            .await?;
            Ok(respond::ok(&match as_table {
                Some(include) => table::table(
                    kind,
                    std::slice::from_ref(&object),
                    json!({"resourceVersion": meta::resource_version(&object)}),
                    include,
                ),
                None => object,
            }))
        }
        (&Method::POST, None) => {
            let (params, content_type, bytes) = request.bytes().await?;
            let options = params.write_options()?;
            let object = body::decode_object(content_type.as_deref(), &bytes)?;
            let ns = namespace.unwrap_or_default();
            let written = blocking(app, move |registry| {
                registry.create(kind, &ns, object, options)
            })
            .await?;
            Ok(written_response(201, written))
        }
        (&Method::PUT, Some(target)) => {
            let (params, content_type, bytes) = request.bytes().await?;
            let options = params.write_options()?;
            let object = body::decode_object(content_type.as_deref(), &bytes)?;
            let sub = path.subresource.clone();
            let written = blocking(app, move |registry| {
                registry.update(&target, sub.as_deref(), object, options)
            })
            .await?;
            Ok(written_response(200, written))
        }
        (&Method::PATCH, Some(target)) => {
            let (params, content_type, bytes) = request.bytes().await?;
            let options = params.write_options()?;
            let patch_type = body::patch_type(content_type.as_deref())?;
            let sub = path.subresource.clone();
            let (written, created) = blocking(app, move |registry| match patch_type {
                PatchType::Apply => registry.apply(&target, sub.as_deref(), &bytes, options),
                _ => registry
                    .patch(&target, sub.as_deref(), patch_type, &bytes, options)
                    .map(|written| (written, false)),
            })
            .await?;
            Ok(written_response(if created { 201 } else { 200 }, written))
        }
        (&Method::DELETE, Some(target)) if path.subresource.is_none() => {
            let (_, options, write) = request.delete_options().await?;
            let deleted = blocking(app, move |registry| {
                registry
                    .delete(&target, &options, write)
                    .map(|d| (d, target, options.orphan_dependents))
            })
            .await?;
            Ok(deleted_response(deleted))
        }
        // A resource without the verb has no such route upstream: go-restful
        // answers 405, which kube-apiserver's `serviceErrorHandler` turns into
        // a MethodNotAllowed Status (apimachinery `NewGenericServerResponse`).
        (&Method::DELETE, None) if !kind.serves("deletecollection") => {
            Err(ApiError::method_not_allowed())
        }
        (&Method::DELETE, None) => {
            let (params, options, write) = request.delete_options().await?;
            let filter = filter::from_params(kind, namespace.as_deref(), &params)?;
            let page = blocking(app, move |registry| {
                registry.delete_collection(kind, namespace.as_deref(), &*filter, &options, write)
            })
            .await?;
            Ok(respond::ok(&list::body(kind, page)))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// Runs registry work (disk I/O) off the async workers.
pub(super) async fn blocking<T: Send + 'static>(
    app: Arc<App>,
    work: impl FnOnce(&Registry) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(move || work(&app.registry))
        .await
        .map_err(|e| ApiError::internal(format!("request handler failed: {e}")))?
}

fn written_response(code: u16, written: Written) -> Response<Body> {
    respond::with_warnings(respond::json(code, &written.object), &written.warnings)
}

/// The answer to a DELETE (endpoints/handlers/delete.go): 200, or 202 only
/// when the object stays and the client sent `orphanDependents: false`; an
/// object still pending is returned as it now is; one that is gone is
/// returned by the kinds whose registry sets `ReturnDeletedObject: true`
/// (pkg/registry/core/{pod,service,namespace,persistentvolume,
/// persistentvolumeclaim,serviceaccount}/storage/storage.go), the others
/// answer a Status
/// (generic/registry/store.go, `Delete`).
fn deleted_response((deleted, target, orphan): (Deleted, Target, Option<bool>)) -> Response<Body> {
    match deleted {
        Deleted::Pending(object) if orphan == Some(false) => respond::json(202, &object),
        Deleted::Pending(object) => respond::ok(&object),
        Deleted::Gone(object) if returns_deleted_object(target.kind) => respond::ok(&object),
        Deleted::Gone(object) => {
            let mut details =
                json!({"name": target.name, "kind": target.kind.plural, "uid": meta::uid(&object)});
            if !target.kind.group.is_empty() {
                if let Some(map) = details.as_object_mut() {
                    map.insert("group".into(), json!(target.kind.group));
                }
            }
            respond::ok(&json!({
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": details,
            }))
        }
    }
}

fn returns_deleted_object(kind: &petctl_model::kinds::KindInfo) -> bool {
    // pkg/registry/storage/storageclass/storage/storage.go sets it too.
    (kind.group == "storage.k8s.io" && kind.kind == "StorageClass")
        || kind.group.is_empty()
            && matches!(
                kind.kind,
                "Pod"
                    | "Service"
                    | "Namespace"
                    | "PersistentVolume"
                    | "PersistentVolumeClaim"
                    | "ServiceAccount"
            )
}
