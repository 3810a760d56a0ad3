"""Verification writes: submitting a job, running it (the Celery worker's side), failing it.

A `/verify` request becomes a `VerificationJob` in one transaction and its Celery job is scheduled after
commit. The worker (`tasks.verify_renditions_job`) calls `run_verification`, which is idempotent: a job
already final is left alone, a re-delivered running job is recomputed and its `RenditionResult` rows are
replaced (unique per job and position), and a job started `MAX_ATTEMPTS` times without finishing (its
workers keep dying) is failed instead of looping. Features and verdicts are deterministic, so a
recomputation gives the same answer.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from urllib.parse import urlsplit

import av
import numpy as np
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from labelplatform.errors import Conflict, InvalidInput, TooLarge
from verification import classifier, features, uris
from verification.models import JobStatus, RenditionResult, VerificationJob
from verification.serializers import VerifyRequest

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
UPLOAD_PREFIX = "verification-uploads"
FRAME_RATE_TOLERANCE = 0.1


class ErrorCode:
    """Stable `code` values of failed jobs and refused requests."""

    SOURCE_UNREADABLE = "source_unreadable"
    URI_REFUSED = "uri_refused"
    TIMEOUT = "timeout"
    GAVE_UP = "gave_up"
    NOT_QUEUED = "not_queued"
    MODEL_UNAVAILABLE = "model_unavailable"
    INTERNAL = "internal"


def load_verifier() -> classifier.Verifier:
    """The committed model (or `VERIFY_MODEL_DIR`), loaded once per process."""
    return classifier.load_default_verifier(settings.VERIFY_MODEL_DIR)


# --- submitting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    job: VerificationJob
    replayed: bool  # True when an Idempotency-Key matched an earlier job


def request_fingerprint(raw_document: Mapping, uploads: Mapping[str, UploadedFile]) -> str:
    canonical = json.dumps(raw_document, sort_keys=True, separators=(",", ":"), default=str)
    files = sorted((name, upload.size) for name, upload in uploads.items())
    return hashlib.sha256(f"{canonical}|{files}".encode()).hexdigest()


def caller_key(user, client_ip: str | None) -> str:
    return f"user:{user.pk}" if user is not None and user.is_authenticated else f"ip:{client_ip or '-'}"


def submit_verification(
    *,
    document: VerifyRequest,
    raw_document: Mapping,
    uploads: Mapping[str, UploadedFile],
    user=None,
    client_ip: str | None = None,
    idempotency_key: str | None = None,
) -> Submission:
    """Check the request, keep its uploads, record the job and schedule it after commit.

    `uploads` maps each uploaded file's *filename* to the file. Refused URIs, unused or oversize uploads
    and a missing or unreadable local source raise `InvalidInput` / `TooLarge` naming the field; nothing
    is stored then. A repeated `Idempotency-Key` from the same caller returns the first job (409 if the
    request differs).
    """
    caller = caller_key(user, client_ip)
    fingerprint = request_fingerprint(raw_document, uploads)
    if idempotency_key:
        earlier = _job_for_key(caller, idempotency_key, fingerprint)
        if earlier is not None:
            return Submission(earlier, replayed=True)
    _check_uploads(document, uploads)
    # Refuse bad URIs before anything is written; an upload's target is its filename until it is stored.
    source, *rendition_locations = _locate_all(document, {name: name for name in uploads})

    job_id = uuid.uuid4()
    stored = _store_uploads(job_id, uploads)
    try:
        source = _stored(source, stored)
        renditions = [
            {
                "uri": rendition.uri,
                "location": _stored(location, stored).as_dict(),
                "sent": rendition.sent,
                "height": rendition.height,
                "width": rendition.width,
                "frame_rate": rendition.frame_rate,
                "pixels": rendition.pixels,
            }
            for rendition, location in zip(document.renditions, rendition_locations, strict=True)
        ]
        _check_local_source(source)
        request = {
            "source": {"uri": document.source, "location": source.as_dict()},
            "orchestrator_id": document.orchestrator_id,
            "renditions": renditions,
        }
        with transaction.atomic():
            job = VerificationJob.objects.create(
                id=job_id,
                requested_by=user if user is not None and user.is_authenticated else None,
                client_ip=client_ip,
                caller=caller,
                idempotency_key=idempotency_key or None,
                fingerprint=fingerprint,
                orchestrator_id=document.orchestrator_id or "",
                source_uri=document.source,
                request=request,
            )
            transaction.on_commit(lambda: _schedule(job.pk))
    except IntegrityError:
        _delete_uploads(stored.values())
        earlier = _job_for_key(caller, idempotency_key, fingerprint) if idempotency_key else None
        if earlier is None:
            raise
        return Submission(earlier, replayed=True)
    except BaseException:
        _delete_uploads(stored.values())
        raise
    return Submission(job, replayed=False)


def _schedule(job_id) -> None:
    """Queue the job (after commit); if the broker cannot take it, the job fails now instead of hanging."""
    from verification.tasks import verify_renditions_job

    try:
        verify_renditions_job.delay(str(job_id))
    except Exception:  # kombu/redis raise many connection error types
        logger.exception("verification job %s could not be queued", job_id)
        fail_verification(
            job_id=job_id, detail="the job could not be queued; try again later", code=ErrorCode.NOT_QUEUED
        )


def _job_for_key(caller: str, key: str, fingerprint: str) -> VerificationJob | None:
    earlier = VerificationJob.objects.filter(caller=caller, idempotency_key=key).first()
    if earlier is not None and earlier.fingerprint != fingerprint:
        raise Conflict("this Idempotency-Key was already used for a different request", field="Idempotency-Key")
    return earlier


def _check_uploads(document: VerifyRequest, uploads: Mapping[str, UploadedFile]) -> None:
    named = {document.source, *(r.uri for r in document.renditions)}
    limit = settings.VERIFY_MAX_FILE_BYTES
    if len(uploads) > len(document.renditions) + 1:
        raise InvalidInput("more files than the source and renditions need", field="files")
    for name, upload in uploads.items():
        if name not in named:
            raise InvalidInput(f"the uploaded file {name!r} is not the source or a rendition uri", field=name)
        if upload.size > limit:
            raise TooLarge(f"the uploaded file {name!r} is larger than {limit} bytes", field=name)


def _locate(uri: str, uploads: Mapping[str, str], *, field: str) -> uris.Location:
    try:
        return uris.locate(
            uri,
            uploads=uploads,
            media_root=Path(settings.VERIFY_MEDIA_ROOT),
            allowed_hosts=settings.VERIFY_ALLOWED_URL_HOSTS,
        )
    except uris.UriRefused as exc:
        raise InvalidInput(f"{field}: {exc}", field=field, code=ErrorCode.URI_REFUSED) from exc


def _locate_all(document: VerifyRequest, uploads: Mapping[str, str]) -> list[uris.Location]:
    """The source's location, then each rendition's."""
    return [
        _locate(document.source, uploads, field="source"),
        *(
            _locate(rendition.uri, uploads, field=f"renditions[{index}].uri")
            for index, rendition in enumerate(document.renditions)
        ),
    ]


def _stored(location: uris.Location, stored: Mapping[str, str]) -> uris.Location:
    """An upload's location with its storage name in place of its filename."""
    if location.kind != uris.LocationKind.UPLOAD:
        return location
    return uris.Location(uris.LocationKind.UPLOAD, stored[location.target])


def _safe_suffix(filename: str) -> str:
    suffix = PurePath(filename).suffix.lower()
    return suffix if 1 < len(suffix) <= 8 and suffix[1:].isalnum() else ".bin"


def _store_uploads(job_id: uuid.UUID, uploads: Mapping[str, UploadedFile]) -> dict[str, str]:
    """Filename -> storage name; names are generated (the client's filename never reaches a path)."""
    stored: dict[str, str] = {}
    try:
        for filename, upload in uploads.items():
            name = f"{UPLOAD_PREFIX}/{job_id}/{uuid.uuid4().hex}{_safe_suffix(filename)}"
            stored[filename] = default_storage.save(name, upload)
    except BaseException:
        _delete_uploads(stored.values())
        raise
    return stored


def _delete_uploads(names) -> None:
    folders = set()
    for name in names:
        with contextlib.suppress(Exception):
            default_storage.delete(name)
            folders.add(str(Path(default_storage.path(name)).parent))
    for folder in folders:  # the job's own upload folder, once empty (local storage only)
        with contextlib.suppress(OSError):
            Path(folder).rmdir()


def _storage_path(name: str) -> str | None:
    try:
        return default_storage.path(name)
    except NotImplementedError:  # object storage: the worker downloads it
        return None


def _check_local_source(source: uris.Location) -> None:
    """A source already on this machine is checked now, so the caller gets its 400 at once."""
    if source.kind == uris.LocationKind.URL:
        return
    path = source.target if source.kind == uris.LocationKind.PATH else _storage_path(source.target)
    if path is None:
        return
    if not Path(path).is_file():
        raise InvalidInput("source: no such file", field="source", code=ErrorCode.SOURCE_UNREADABLE)
    if not _has_video_stream(path):
        raise InvalidInput("source: no readable video stream", field="source", code=ErrorCode.SOURCE_UNREADABLE)


def _has_video_stream(path: str) -> bool:
    """Open the container and find a video stream, without decoding: decoding a first 1080p frame cost
    ~45 ms per request, a third of a short verification, and the worker decodes the source anyway (a
    stream that is damaged further in fails the job with the same `source_unreadable`)."""
    try:
        with av.open(path) as container:
            return bool(container.streams.video) and container.streams.video[0].codec_context is not None
    except Exception:  # av raises many error types for foreign or damaged files; all mean "not readable"
        return False


# --- running (the worker) ---------------------------------------------------------------------------


def start_attempt(*, job_id) -> VerificationJob | None:
    """Mark the job running for one more attempt; None when there is nothing to do (final or gave up)."""
    with transaction.atomic():
        job = VerificationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_final:
            return None
        if job.attempts >= MAX_ATTEMPTS:
            _mark_failed(
                job,
                detail=f"gave up after {job.attempts} attempts (its workers were lost or it kept failing)",
                code=ErrorCode.GAVE_UP,
            )
            return None
        job.attempts += 1
        job.status = JobStatus.RUNNING
        job.started_at = timezone.now()
        job.save(update_fields=["attempts", "status", "started_at"])
    return job


def run_verification(*, job_id) -> VerificationJob | None:
    """Compute the job's verdicts and store them; idempotent (see the module docstring)."""
    job = start_attempt(job_id=job_id)
    if job is None:
        return VerificationJob.objects.filter(pk=job_id).first()
    started = time.monotonic()
    timings: dict[str, float] = {"queued": round((job.started_at - job.created_at).total_seconds(), 3)}
    try:
        verifier = load_verifier()
    except (FileNotFoundError, ValueError) as exc:
        logger.error("verification job %s: no usable verifier model: %s", job.pk, exc)
        return fail_verification(
            job_id=job.pk,
            detail="no usable verifier model on this server (manage.py train_verifier, or VERIFY_MODEL_DIR)",
            code=ErrorCode.MODEL_UNAVAILABLE,
        )
    request = job.request
    with _local_inputs(request, timings) as (source_path, rendition_paths):
        if source_path is None:
            return fail_verification(
                job_id=job.pk,
                detail="source: could not be downloaded",
                code=ErrorCode.SOURCE_UNREADABLE,
                field="source",
            )
        readable = [(i, p) for i, p in enumerate(rendition_paths) if p is not None]
        rates = [request["renditions"][i]["frame_rate"] for i, _ in readable]
        tick = time.monotonic()
        try:
            measured = features.extract_features(source_path, [p for _, p in readable], frame_rates=rates)
        except features.UnreadableSource:
            return fail_verification(
                job_id=job.pk,
                detail="source: no readable video stream",
                code=ErrorCode.SOURCE_UNREADABLE,
                field="source",
            )
        timings["features"] = round(time.monotonic() - tick, 3)
        needs_source_fps = any(r["frame_rate"] == 0 for r in request["renditions"])
        source_fps = features.read_meta(source_path).fps if needs_source_fps else 0.0
    tick = time.monotonic()
    by_position: dict[int, features.RenditionFeatures] = dict(zip([i for i, _ in readable], measured, strict=True))
    vectors = [(i, f.vector) for i, f in by_position.items() if f.vector is not None]
    verdicts = dict(zip([i for i, _ in vectors], _predict(verifier, [v for _, v in vectors]), strict=True))
    timings["classify"] = round(time.monotonic() - tick, 3)
    results = [
        _rendition_document(entry, by_position.get(i), verdicts.get(i), source_fps)
        for i, entry in enumerate(request["renditions"])
    ]
    document = {
        "orchestrator_id": request["orchestrator_id"],
        "source": request["source"]["uri"],
        "model": verifier.version,
        "results": results,
    }
    timings["total"] = round(time.monotonic() - started, 3)
    return complete_verification(
        job_id=job.pk,
        document=document,
        measured=by_position,
        model_version=verifier.version,
        timings=timings,
    )


def _predict(verifier: classifier.Verifier, vectors: list) -> list[classifier.Verdict]:
    if not vectors:
        return []
    return verifier.predict_many(np.vstack(vectors))


def _rendition_document(
    entry: Mapping,
    measured: features.RenditionFeatures | None,
    verdict: classifier.Verdict | None,
    source_fps: float,
) -> dict:
    """One result of the response table (specs/verification.md): echoes as sent, ratios measured/expected."""
    meta = measured.meta if measured is not None else features.VideoMeta()
    document: dict = {
        "uri": entry["uri"],
        "video_available": bool(meta.video_available and verdict is not None),
        "audio_available": bool(meta.audio_available),
    }
    if not document["video_available"]:
        return document
    sent = entry["sent"]
    document.update(fps=meta.fps, width=meta.width, height=meta.height)
    if entry["frame_rate"] is not None:
        expected = entry["frame_rate"] or source_fps
        document["frame_rate"] = abs(meta.fps - expected) <= FRAME_RATE_TOLERANCE
    if entry["height"] is not None:
        document["resolution"] = {
            "height": sent["resolution"]["height"],
            "width": sent["resolution"]["width"],
            "height_pre_verification": meta.height / entry["height"],
            "width_pre_verification": meta.width / entry["width"],
        }
    if entry["pixels"] is not None:
        pixels = meta.width * meta.height * meta.frame_count
        document["pixels"] = sent["pixels"]
        document["pixels_pre_verification"] = entry["pixels"] / pixels if pixels else None
    document.update(
        ocsvm_dist=verdict.ocsvm_dist,
        tamper_ul=int(verdict.tamper_ul),
        tamper_sl=int(verdict.tamper_sl),
        tamper=int(verdict.tamper),
        ssim_pred=verdict.ssim_pred,
        timestamps=list(measured.timestamps),
    )
    return document


@contextlib.contextmanager
def _local_inputs(request: Mapping, timings: dict) -> Iterator[tuple[str | None, list[str | None]]]:
    """Local file paths for the source and each rendition (None: could not be had); temp files removed after."""
    tick = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="verify-"))
    try:
        source = _materialise(uris.Location.from_dict(request["source"]["location"]), workdir / "source")
        renditions = [
            _materialise(uris.Location.from_dict(entry["location"]), workdir / f"rendition-{index}")
            for index, entry in enumerate(request["renditions"])
        ]
        timings["fetch"] = round(time.monotonic() - tick, 3)
        yield source, renditions
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _materialise(location: uris.Location, scratch: Path) -> str | None:
    if location.kind == uris.LocationKind.PATH:
        return location.target
    if location.kind == uris.LocationKind.UPLOAD:
        path = _storage_path(location.target)
        if path is not None:
            return path
        try:
            with default_storage.open(location.target, "rb") as remote, open(scratch, "wb") as local:
                shutil.copyfileobj(remote, local, 1024 * 1024)
        except OSError:
            return None
        return str(scratch)
    try:
        uris.fetch(
            location.target,
            scratch,
            allowed_hosts=settings.VERIFY_ALLOWED_URL_HOSTS,
            max_bytes=settings.VERIFY_MAX_FILE_BYTES,
            timeout=settings.VERIFY_FETCH_TIMEOUT,
        )
    except uris.FetchFailed as exc:
        logger.info("verification download of %s failed: %s", urlsplit(location.target).hostname, exc)
        return None
    return str(scratch)


def complete_verification(
    *,
    job_id,
    document: dict,
    measured: Mapping[int, features.RenditionFeatures],
    model_version: str,
    timings: dict,
) -> VerificationJob | None:
    """Store the answer and its rendition rows (replacing any from an interrupted attempt)."""
    with transaction.atomic():
        job = VerificationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_final:  # a duplicate delivery finished first: keep its answer
            return job
        RenditionResult.objects.filter(job=job).delete()
        RenditionResult.objects.bulk_create(
            [
                _result_row(job, position, entry, measured.get(position))
                for position, entry in enumerate(document["results"])
            ]
        )
        job.status = JobStatus.DONE
        job.result = document
        job.error = None
        job.model_version = model_version
        job.timings = timings
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "result", "error", "model_version", "timings", "finished_at"])
        _after_final(job)
    return job


def _result_row(job, position: int, entry: dict, measured: features.RenditionFeatures | None) -> RenditionResult:
    meta = measured.meta if measured is not None else None
    return RenditionResult(
        job=job,
        position=position,
        uri=entry["uri"],
        video_available=entry["video_available"],
        audio_available=entry["audio_available"],
        fps=meta.fps if meta and meta.fps else None,
        width=meta.width if meta and meta.width else None,
        height=meta.height if meta and meta.height else None,
        ocsvm_dist=entry.get("ocsvm_dist"),
        tamper_ul=entry.get("tamper_ul"),
        tamper_sl=entry.get("tamper_sl"),
        tamper=entry.get("tamper"),
        ssim_pred=entry.get("ssim_pred"),
        timestamps=entry.get("timestamps", []),
        document=entry,
    )


def fail_verification(*, job_id, detail: str, code: str, field: str | None = None) -> VerificationJob | None:
    """Record why the job could not be answered; a job already final keeps its state."""
    with transaction.atomic():
        job = VerificationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_final:
            return job
        _mark_failed(job, detail=detail, code=code, field=field)
    return job


def _mark_failed(job: VerificationJob, *, detail: str, code: str, field: str | None = None) -> None:
    job.status = JobStatus.FAILED
    job.error = {"detail": detail, "code": code, **({"field": field} if field else {})}
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    _after_final(job)


def _after_final(job: VerificationJob) -> None:
    """Uploaded files are only needed until the job is answered."""
    names = [
        entry["location"]["target"]
        for entry in [job.request["source"], *job.request["renditions"]]
        if entry["location"]["kind"] == uris.LocationKind.UPLOAD
    ]
    if names:
        transaction.on_commit(lambda: _delete_uploads(set(names)))
