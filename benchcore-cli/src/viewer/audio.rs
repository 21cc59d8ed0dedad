//! `GET /api/runs/{id}/audio?case=&agent=&sample=&clip=`: one WAV file of a voice
//! conversation (the recording or a turn's clip), read from the attempt's artifacts folder.

use super::error::ViewError;
use super::{lookup, Viewer};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use benchcore::AttemptKey;
use serde::Deserialize;

/// The attempt and the clip's file name.
#[derive(Debug, Deserialize)]
pub(crate) struct AudioParams {
    case: String,
    agent: String,
    #[serde(default)]
    sample: u32,
    clip: String,
}

/// Whether `name` is a plain `.wav` file name: no folder, no parent, nothing hidden. The
/// viewer serves files of an attempt's own folder and nothing else.
fn is_clip_name(name: &str) -> bool {
    name.len() <= 128
        && name.ends_with(".wav")
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Serves the clip as `audio/wav`; 404 for an attempt, a folder or a file that is not
/// there, 400 for a name that is not a plain `.wav` file name.
pub(crate) async fn audio(
    State(viewer): State<Viewer>,
    Path(id): Path<String>,
    Query(params): Query<AudioParams>,
) -> Result<impl IntoResponse, ViewError> {
    if !is_clip_name(&params.clip) {
        return Err(ViewError::bad_request(format!(
            "`{}` is not the name of a WAV clip",
            params.clip
        )));
    }
    let run = lookup::run(&viewer, &id).await?;
    let key = AttemptKey::new(params.case, params.agent, params.sample);
    let record = lookup::attempt(&viewer, &run.id, &key)
        .await?
        .ok_or_else(|| ViewError::not_found(format!("run {} has no attempt {key}", run.id)))?;
    let dir = record
        .artifacts_dir
        .ok_or_else(|| ViewError::not_found(format!("attempt {key} kept no artifacts")))?;
    let path = std::path::Path::new(&dir).join(&params.clip);
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| ViewError::not_found(format!("attempt {key} has no clip {}", params.clip)))?;
    Ok(([(header::CONTENT_TYPE, "audio/wav")], bytes))
}

#[cfg(test)]
mod tests {
    use super::is_clip_name;

    #[test]
    fn only_plain_wav_names_are_clips() {
        assert!(is_clip_name("conversation.wav"));
        assert!(is_clip_name("turn-03-interviewer.wav"));
        for bad in [
            "../x.wav",
            "a/b.wav",
            ".hidden.wav",
            "x.txt",
            "x.wav/",
            "%2e.wav",
            "",
        ] {
            assert!(!is_clip_name(bad), "{bad}");
        }
    }
}
