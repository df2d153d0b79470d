//! Object storage for files the service keeps: evidence attachments (佐证材料) now, rendered
//! notices later. Through the `object_store` crate: the local filesystem under
//! `DUBAN_DATA_DIR/objects` by default, or S3-compatible storage (an on-premises MinIO) with
//! `DUBAN_STORAGE_URL=s3://bucket/prefix`.
//!
//! Content-addressed: an object's key is `<area>/<sha[..2]>/<sha-256 in hex>`, so the same
//! bytes stored twice are kept once. An object only appears under its final key complete:
//! the local store writes a staging file and renames it, S3 makes a single PUT or a finished
//! multipart upload visible at once. Areas keep the users of the store apart, so that the
//! sweep of one (unreferenced evidence) never touches another's objects.
//!
//! This module knows nothing of the database: which objects are referenced is the services'
//! business.

use std::sync::Arc;

use futures_util::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::error::{AppError, AppResult};

/// Where the objects live (`DUBAN_STORAGE_URL`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A directory on the local filesystem.
    Local(std::path::PathBuf),
    /// `s3://bucket/prefix`; endpoint, region and credentials from the usual `AWS_*` variables.
    S3 { bucket: String, prefix: String },
}

impl Location {
    /// `None` (or empty) is the local directory `<data_dir>/objects`; otherwise `s3://…` or
    /// `file:///abs/path`.
    ///
    /// # Errors
    /// INVALID_INPUT for another scheme or an S3 URL without a bucket.
    pub fn parse(url: Option<&str>, data_dir: &std::path::Path) -> AppResult<Self> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(Location::Local(data_dir.join("objects")));
        };
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(AppError::invalid(
                    "DUBAN_STORAGE_URL: s3://bucket/prefix needs a bucket",
                ));
            }
            return Ok(Location::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.trim_matches('/').to_owned(),
            });
        }
        if let Some(path) = url.strip_prefix("file://") {
            return Ok(Location::Local(path.into()));
        }
        Err(AppError::invalid(format!(
            "DUBAN_STORAGE_URL: expected s3://bucket/prefix or file:///path, not {url:?}"
        )))
    }
}

/// Which user of the store an object belongs to (the first segment of its key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// Evidence attachments (佐证材料).
    Evidence,
    /// Rendered documents (notices as .docx).
    Documents,
}

impl Area {
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Evidence => "evidence",
            Area::Documents => "documents",
        }
    }
}

/// An object as stored: its key, digest and size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub key: String,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    pub size: u64,
    /// False when the same bytes were already there (nothing was written).
    pub written: bool,
}

/// An object in a listing.
#[derive(Clone, Debug)]
pub struct Listed {
    pub key: String,
    pub last_modified: chrono::DateTime<chrono::Utc>,
    pub size: u64,
}

/// A byte stream of an object, read as it is sent (bounded memory).
pub type ByteStream = futures_util::stream::BoxStream<'static, std::io::Result<bytes::Bytes>>;

/// Bytes read (and, for S3, sent) at a time: S3 parts must be at least 5 MiB but the last.
const CHUNK: usize = 5 * 1024 * 1024;

/// The store, cheap to clone.
#[derive(Clone)]
pub struct Storage {
    inner: Arc<dyn ObjectStore>,
    location: Location,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("location", &self.location)
            .finish()
    }
}

fn store_err(e: object_store::Error) -> AppError {
    AppError::internal(e)
}

impl Storage {
    /// Opens the store at `location` (creating the local directory). Nothing is sent to S3
    /// here: a wrong endpoint or credentials show at the first use.
    ///
    /// # Errors
    /// INVALID_INPUT when the directory cannot be created or the S3 settings are incomplete.
    pub fn open(location: Location) -> AppResult<Self> {
        let inner: Arc<dyn ObjectStore> = match &location {
            Location::Local(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    AppError::invalid(format!("cannot create {}: {e}", dir.display()))
                })?;
                Arc::new(
                    object_store::local::LocalFileSystem::new_with_prefix(dir).map_err(|e| {
                        AppError::invalid(format!("cannot use {}: {e}", dir.display()))
                    })?,
                )
            }
            Location::S3 { bucket, prefix } => {
                let s3 = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .build()
                    .map_err(|e| AppError::invalid(format!("DUBAN_STORAGE_URL (S3): {e}")))?;
                if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    Arc::new(object_store::prefix::PrefixStore::new(s3, prefix.as_str()))
                }
            }
        };
        Ok(Storage { inner, location })
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The key of content with digest `sha256` in `area`.
    pub fn key_for(area: Area, sha256: &str) -> String {
        format!(
            "{}/{}/{}",
            area.as_str(),
            &sha256[..2.min(sha256.len())],
            sha256
        )
    }

    /// Stores `bytes` in `area` unless the same bytes are there already.
    ///
    /// # Errors
    /// INTERNAL when the store fails.
    pub async fn put(&self, area: Area, bytes: bytes::Bytes) -> AppResult<Stored> {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let key = Self::key_for(area, &sha256);
        let size = bytes.len() as u64;
        if self.exists(&key).await? {
            return Ok(Stored {
                key,
                sha256,
                size,
                written: false,
            });
        }
        self.inner
            .put(&ObjectPath::from(key.as_str()), PutPayload::from(bytes))
            .await
            .map_err(store_err)?;
        Ok(Stored {
            key,
            sha256,
            size,
            written: true,
        })
    }

    /// Stores the content of `file` (read from its start, in chunks: memory stays bounded
    /// whatever its size) in `area` unless the same bytes are there already. The file is
    /// read twice: once for the digest (the key), once to send it.
    ///
    /// # Errors
    /// INTERNAL when the file cannot be read or the store fails.
    pub async fn put_file(&self, area: Area, file: std::fs::File) -> AppResult<Stored> {
        let mut file = tokio::fs::File::from_std(file);
        file.rewind().await.map_err(AppError::internal)?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = file.read(&mut buf).await.map_err(AppError::internal)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
        }
        let sha256 = hex::encode(hasher.finalize());
        let key = Self::key_for(area, &sha256);
        if self.exists(&key).await? {
            return Ok(Stored {
                key,
                sha256,
                size,
                written: false,
            });
        }
        file.rewind().await.map_err(AppError::internal)?;
        let path = ObjectPath::from(key.as_str());
        if size <= CHUNK as u64 {
            let mut all = Vec::with_capacity(size as usize);
            file.read_to_end(&mut all)
                .await
                .map_err(AppError::internal)?;
            self.inner
                .put(&path, PutPayload::from(all))
                .await
                .map_err(store_err)?;
        } else {
            // A multipart upload is visible only once completed; an aborted one leaves nothing
            // under the key (S3 keeps its parts until aborted, which `abort` does).
            let upload = self.inner.put_multipart(&path).await.map_err(store_err)?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, CHUNK);
            let sent: AppResult<()> = async {
                loop {
                    let n = file.read(&mut buf).await.map_err(AppError::internal)?;
                    if n == 0 {
                        break;
                    }
                    writer.wait_for_capacity(2).await.map_err(store_err)?;
                    writer.write(&buf[..n]);
                }
                Ok(())
            }
            .await;
            match sent {
                Ok(()) => {
                    writer.finish().await.map_err(store_err)?;
                }
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(e);
                }
            }
        }
        Ok(Stored {
            key,
            sha256,
            size,
            written: true,
        })
    }

    /// Whether an object is stored under `key`.
    ///
    /// # Errors
    /// INTERNAL when the store cannot say.
    pub async fn exists(&self, key: &str) -> AppResult<bool> {
        match self.inner.head(&ObjectPath::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(store_err(e)),
        }
    }

    /// The object under `key` as a stream of chunks.
    ///
    /// # Errors
    /// NOT_FOUND when there is none; INTERNAL when the store fails.
    pub async fn get(&self, key: &str) -> AppResult<ByteStream> {
        match self.inner.get(&ObjectPath::from(key)).await {
            Ok(r) => Ok(r
                .into_stream()
                .map(|chunk| chunk.map_err(std::io::Error::other))
                .boxed()),
            Err(object_store::Error::NotFound { .. }) => Err(AppError::not_found("object", key)),
            Err(e) => Err(store_err(e)),
        }
    }

    /// The whole object under `key` (for small objects and tests).
    ///
    /// # Errors
    /// As [`Storage::get`].
    pub async fn get_bytes(&self, key: &str) -> AppResult<bytes::Bytes> {
        match self.inner.get(&ObjectPath::from(key)).await {
            Ok(r) => r.bytes().await.map_err(store_err),
            Err(object_store::Error::NotFound { .. }) => Err(AppError::not_found("object", key)),
            Err(e) => Err(store_err(e)),
        }
    }

    /// Deletes the object under `key`; deleting a missing one is no error.
    ///
    /// # Errors
    /// INTERNAL when the store fails.
    pub async fn delete(&self, key: &str) -> AppResult<()> {
        match self.inner.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_err(e)),
        }
    }

    /// Every object in `area`.
    ///
    /// # Errors
    /// INTERNAL when the store fails.
    pub async fn list(&self, area: Area) -> AppResult<Vec<Listed>> {
        let prefix = ObjectPath::from(area.as_str());
        let mut out = Vec::new();
        let mut listing = self.inner.list(Some(&prefix));
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(store_err)?;
            out.push(Listed {
                key: meta.location.to_string(),
                last_modified: meta.last_modified,
                size: meta.size,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        let dir = std::path::Path::new("/data");
        assert_eq!(
            Location::parse(None, dir).unwrap(),
            Location::Local("/data/objects".into())
        );
        assert_eq!(
            Location::parse(Some("s3://b/some/prefix/"), dir).unwrap(),
            Location::S3 {
                bucket: "b".into(),
                prefix: "some/prefix".into()
            }
        );
        assert_eq!(
            Location::parse(Some("s3://b"), dir).unwrap(),
            Location::S3 {
                bucket: "b".into(),
                prefix: String::new()
            }
        );
        assert!(Location::parse(Some("s3:///x"), dir).is_err());
        assert!(Location::parse(Some("gs://b"), dir).is_err());
    }

    #[tokio::test]
    async fn local_store_is_content_addressed() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::open(Location::Local(dir.path().join("o"))).unwrap();
        let a = s
            .put(Area::Evidence, bytes::Bytes::from_static(b"hello"))
            .await
            .unwrap();
        assert!(a.written);
        assert_eq!(
            a.sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(a.key, format!("evidence/2c/{}", a.sha256));
        let mut f = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut f, b"hello").unwrap();
        let b = s.put_file(Area::Evidence, f).await.unwrap();
        assert_eq!(b.key, a.key);
        assert!(!b.written, "the same bytes are stored once");
        assert_eq!(&s.get_bytes(&a.key).await.unwrap()[..], b"hello");
        assert_eq!(s.list(Area::Evidence).await.unwrap().len(), 1);
        assert!(s.list(Area::Documents).await.unwrap().is_empty());
        s.delete(&a.key).await.unwrap();
        assert!(!s.exists(&a.key).await.unwrap());
        assert_eq!(s.get(&a.key).await.err().unwrap().code(), "NOT_FOUND");
    }

    #[tokio::test]
    async fn a_large_file_goes_up_in_parts_and_reads_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::open(Location::Local(dir.path().to_path_buf())).unwrap();
        let data: Vec<u8> = (0..(CHUNK * 2 + 123)).map(|i| (i % 251) as u8).collect();
        let mut f = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut f, &data).unwrap();
        let stored = s.put_file(Area::Evidence, f).await.unwrap();
        assert_eq!(stored.size, data.len() as u64);
        assert_eq!(stored.sha256, hex::encode(Sha256::digest(&data)));
        let mut back = Vec::new();
        let mut stream = s.get(&stored.key).await.unwrap();
        while let Some(c) = stream.next().await {
            back.extend_from_slice(&c.unwrap());
        }
        assert!(back == data);
    }
}
