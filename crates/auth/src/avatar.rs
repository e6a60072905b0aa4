//! Profile pictures: PNG, JPEG or WebP, recognised by content (not by name or header), at
//! most 5 MiB and 8000 px a side, cropped square and scaled to 256 px, then re-encoded — which
//! drops EXIF and every other piece of metadata. Images with transparency stay PNG; the rest
//! become JPEG. Decoding runs on the blocking pool.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{ImageFormat, ImageReader, Limits};
use ops_db::{Db, Row, now_ms, record_audit};
use ops_types::{Permission, Profile};

use crate::{AuthCtx, AuthError, profile};

pub const MAX_BYTES: usize = 5 * 1024 * 1024;
const SIDE: u32 = 256;
const MAX_SIDE: u32 = 8000;

fn refused(message: &str) -> AuthError {
    AuthError::invalid("avatar", message)
}

/// Checks and converts an upload: (content type, bytes).
pub fn convert(bytes: &[u8]) -> Result<(&'static str, Vec<u8>), AuthError> {
    if bytes.is_empty() {
        return Err(refused("send the image as the request body"));
    }
    if bytes.len() > MAX_BYTES {
        return Err(refused("the image is larger than 5 MiB"));
    }
    let format =
        image::guess_format(bytes).map_err(|_| refused("send a PNG, JPEG or WebP image"))?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP
    ) {
        return Err(refused("send a PNG, JPEG or WebP image"));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| refused(&format!("the image cannot be read: {e}")))?;
    let square = img.resize_to_fill(SIDE, SIDE, FilterType::Lanczos3);
    let mut out = Vec::new();
    if square.color().has_alpha() {
        square
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|e| AuthError::Internal(format!("png: {e}")))?;
        Ok(("image/png", out))
    } else {
        JpegEncoder::new_with_quality(&mut out, 85)
            .encode_image(&square.to_rgb8())
            .map_err(|e| AuthError::Internal(format!("jpeg: {e}")))?;
        Ok(("image/jpeg", out))
    }
}

/// Sets the caller's picture.
pub async fn upload(db: &Db, ctx: &AuthCtx, bytes: Vec<u8>) -> Result<Profile, AuthError> {
    ctx.require(Permission::AccountRead)?;
    let (content_type, image) = tokio::task::spawn_blocking(move || convert(&bytes))
        .await
        .map_err(|e| AuthError::Internal(format!("avatar task: {e}")))??;
    let now = now_ms();
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM avatars WHERE user_id = $1")
        .bind(&ctx.user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO avatars (user_id, content_type, bytes, updated_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&ctx.user_id)
    .bind(content_type)
    .bind(&image)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE users SET avatar_at = $2 WHERE id = $1")
        .bind(&ctx.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let detail = format!("{content_type} {} bytes", image.len());
    record_audit(
        &mut tx,
        ops_db::AuditRecord {
            detail: Some(&detail),
            ..ctx.audit_self("user.avatar_set")
        },
    )
    .await?;
    tx.commit().await?;
    profile::get(db, ctx).await
}

/// Removes the caller's picture.
pub async fn remove(db: &Db, ctx: &AuthCtx) -> Result<(), AuthError> {
    ctx.require(Permission::AccountRead)?;
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM avatars WHERE user_id = $1")
        .bind(&ctx.user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET avatar_at = NULL WHERE id = $1")
        .bind(&ctx.user_id)
        .execute(&mut *tx)
        .await?;
    record_audit(&mut tx, ctx.audit_self("user.avatar_remove")).await?;
    tx.commit().await?;
    Ok(())
}

/// A user's picture (any signed-in caller may see it): (content type, bytes).
pub async fn get(db: &Db, ctx: &AuthCtx, user_id: &str) -> Result<(String, Vec<u8>), AuthError> {
    ctx.require(Permission::AccountRead)?;
    let r = sqlx::query("SELECT content_type, bytes FROM avatars WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(AuthError::NotFound("avatar"))?;
    Ok((r.try_get("content_type")?, r.try_get("bytes")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, Rgb, RgbImage, Rgba, RgbaImage};

    fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    #[test]
    fn images_are_squared_and_reencoded() {
        let photo = DynamicImage::ImageRgb8(RgbImage::from_pixel(640, 480, Rgb([200, 10, 10])));
        let (ct, out) = convert(&encode(photo, ImageFormat::Jpeg)).unwrap();
        assert_eq!(ct, "image/jpeg");
        let back = image::load_from_memory(&out).unwrap();
        assert_eq!((back.width(), back.height()), (256, 256));

        let logo = DynamicImage::ImageRgba8(RgbaImage::from_pixel(100, 300, Rgba([0, 0, 0, 0])));
        let (ct, _) = convert(&encode(logo, ImageFormat::Png)).unwrap();
        assert_eq!(ct, "image/png", "transparency kept");
    }

    #[test]
    fn anything_else_is_refused_by_content() {
        for bad in [
            &b""[..],
            b"GIF89a....",
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            b"\x89PNG\r\n\x1a\nbroken",
        ] {
            assert!(
                matches!(
                    convert(bad),
                    Err(AuthError::Invalid {
                        field: "avatar",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }
}
