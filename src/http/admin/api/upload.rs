//! `POST /api/v1/firmware/images`: a firmware image as the raw body, streamed to a staged file
//! — never held in memory, never over the repository's size limit (not the listener's JSON
//! body limit: this route alone takes large bodies).
//!
//! The query is checked first, so a refused model or version costs no upload; the body is
//! then written a batch at a time on a blocking thread and published by the use case (renamed
//! to its digest, recorded) only once it is whole.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};

use super::Reply;
use super::error::ApiError;
use super::handlers::FirmwareQuery;
use super::input;
use crate::service::{FirmwareUploadInput, Service, StageError, StagedImage};

/// Bytes gathered before each write to the staged file.
const BATCH: usize = 1024 * 1024;

pub(super) async fn firmware(
    service: &Arc<Service>,
    request: Request<Incoming>,
    query: Option<String>,
) -> Result<Reply, ApiError> {
    let input: FirmwareUploadInput = input::query::<FirmwareQuery>(query.as_deref())?.into();
    let spec = service.check_firmware_upload(&input)?;
    let body = request.into_body();
    if body.size_hint().upper() == Some(0) {
        return Err(ApiError::MissingBody("application/octet-stream"));
    }
    let mut staged = blocking(service, |service| service.stage_firmware()).await?;
    if body.size_hint().lower() > staged.limit() {
        return Err(too_large(staged.limit()));
    }
    let mut body = body;
    let mut batch = BytesMut::new();
    let mut written = 0u64;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|_| ApiError::MalformedJson("the body could not be read".into()))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        written += data.len() as u64;
        if written > staged.limit() {
            return Err(too_large(staged.limit()));
        }
        batch.extend_from_slice(&data);
        if batch.len() >= BATCH {
            staged = write(staged, batch.split().freeze()).await?;
        }
    }
    if written == 0 {
        return Err(ApiError::MissingBody("application/octet-stream"));
    }
    staged = write(staged, batch.freeze()).await?;
    let service = Arc::clone(service);
    let view = tokio::task::spawn_blocking(move || service.add_firmware(&spec, staged))
        .await
        .map_err(|panic| ApiError::Internal(panic.to_string()))??;
    let value = serde_json::to_value(view).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Reply::Json(StatusCode::CREATED, value))
}

/// Appends a batch on a blocking thread; a refused or failed write drops (removes) the file.
async fn write(mut staged: StagedImage, batch: Bytes) -> Result<StagedImage, ApiError> {
    tokio::task::spawn_blocking(move || staged.write(&batch).map(|()| staged))
        .await
        .map_err(|panic| ApiError::Internal(panic.to_string()))?
        .map_err(|error| match error {
            StageError::TooLarge(limit) => too_large(limit),
            StageError::Io(error) => ApiError::Internal(error.to_string()),
        })
}

async fn blocking<T: Send + 'static>(
    service: &Arc<Service>,
    call: impl FnOnce(&Service) -> Result<T, crate::service::Error> + Send + 'static,
) -> Result<T, ApiError> {
    let service = Arc::clone(service);
    tokio::task::spawn_blocking(move || call(&service))
        .await
        .map_err(|panic| ApiError::Internal(panic.to_string()))?
        .map_err(ApiError::from)
}

/// Over the repository's limit: refused naming the body, as every rule violation is (422).
fn too_large(limit: u64) -> ApiError {
    ApiError::invalid(
        "body",
        format!("the image is larger than the firmware limit of {limit} bytes"),
    )
}
