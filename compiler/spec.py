"""Format v1 of the project file: the one definition of what a project file may say.

These pydantic models are strict (no silent coercion: ``fps: "24"`` is an error) and closed
(an unknown key is an error). ``studio schema`` prints the JSON Schema generated from them, which
editors use for completion and validation; every field has a description.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

__all__ = [
    "AudioTrack", "Blocking", "Camera", "CameraMove", "DialogueLine", "Element", "EmotionAdjust", "Enhance",
    "FORMAT_VERSION", "KINDS", "Lora", "ModelConfig", "ModelKind", "ModelOverrides", "Output", "Pattern", "POSES",
    "Pose", "Project", "ProjectSettings", "Scene", "Shot", "ShotType", "StoryboardPdf", "Style", "Transition", "Voice",
]

FORMAT_VERSION = 1

ShotType = Literal[
    "establishing", "wide", "medium", "close_up", "extreme_close_up", "over_the_shoulder", "pov", "insert"
]
CameraMove = Literal[
    "static", "pan_left", "pan_right", "tilt_up", "tilt_down", "dolly_in", "dolly_out", "zoom_in", "zoom_out",
    "shake", "hold",
]
Pose = Literal[
    "stand", "sit", "kneel", "crouch", "lie", "hide", "peek",
    "walk", "run", "jump", "leap", "fall", "climb", "dance", "swim", "enter", "exit",
    "point", "wave", "reach", "hold", "hug", "fight", "throw", "cheer", "shrug", "clap", "knock",
    "look", "turn", "nod",
    "smile", "frown", "cry", "hesitate", "gasp", "shout",
]
POSES: tuple[str, ...] = Pose.__args__  # type: ignore[attr-defined]
"""The pose and blocking vocabulary (backends/procedural/staging/README.md draws each one)."""
PLACES = ("far_left", "left", "center", "right", "far_right")
ModelKind = Literal["image", "video", "speech", "llm", "embed"]
KINDS: tuple[str, ...] = ("image", "video", "speech", "llm", "embed")

MAX_SHOT_SECONDS = 600.0
"""Longest shot accepted; longer is almost certainly a typo (1e9 seconds, say)."""

Id = Annotated[
    str,
    Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", examples=["cove", "establishing", "shot-2"]),
]
Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$", examples=["Luca", "sketch"])]
Color = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$", examples=["#e9c46a"])]
Dimension = Annotated[int, Field(ge=16, le=8192)]
Seed = Annotated[int, Field(ge=0, le=2**63 - 1)]


def _auto_or_seconds(value: Any) -> float | str:
    if value == "auto" and isinstance(value, str):
        return "auto"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PydanticCustomError("E202", "duration must be a number of seconds or 'auto'")
    seconds = float(value)
    if not 0 < seconds <= MAX_SHOT_SECONDS:
        raise PydanticCustomError(
            "E204", "duration {value} s is out of range (more than 0, at most {max} s)",
            {"value": f"{seconds:g}", "max": int(MAX_SHOT_SECONDS)})
    return seconds


Duration = Annotated[
    float | str,
    BeforeValidator(_auto_or_seconds),
    WithJsonSchema({
        "anyOf": [
            {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_SHOT_SECONDS},
            {"const": "auto"},
        ],
        "examples": [3, 2.5, "auto"],
    }),
]


LINE = r"^[^\x00-\x1f\x7f-\x9f]*$"
"""One line of text without control characters: titles and headings reach terminals, file metadata
and subtitles, where an escape sequence or a NUL byte has no business."""
REVISION = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}(/[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}){0,3}$"
"""A branch, tag or commit: never a path (compiler.weights.REVISION; a test keeps both equal)."""
_SIZE = re.compile(r"\s*([0-9]{1,6})\s*[xX×]\s*([0-9]{1,6})\s*")


class _OrShorthand:
    """Adds a shorthand spelling to a field's JSON Schema (``anyOf``: the full form or the shorthand)."""

    def __init__(self, shorthand: dict[str, Any]) -> None:
        self.shorthand = shorthand

    def __get_pydantic_json_schema__(self, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"anyOf": [handler(core), self.shorthand]}


def _resolution_shorthand(value: Any) -> Any:
    """``1280x720`` -> ``[1280, 720]`` (the DSL's spelling, natural in YAML too)."""
    if isinstance(value, str):
        match = _SIZE.fullmatch(value)
        if match is None:
            raise PydanticCustomError("E202", "resolution must be written 1280x720 or [1280, 720], not '{value}'",
                                      {"value": value[:40]})
        return [int(match.group(1)), int(match.group(2))]
    return value


def _camera_shorthand(value: Any) -> Any:
    """``camera: pan_left`` -> ``camera: {move: pan_left}``."""
    return {"move": value} if isinstance(value, str) else value
def _place(value: Any) -> float | str:
    if isinstance(value, str):
        if value in PLACES:
            return value
        guess = difflib.get_close_matches(value.lower(), PLACES, n=1)
        hint = f"did you mean '{guess[0]}'?" if guess else f"write one of {', '.join(PLACES)}"
        raise PydanticCustomError("E205", "invalid position '{value}': {hint} (or a number from 0, the left edge, "
                                  "to 1, the right edge)", {"value": value[:40], "hint": hint})
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PydanticCustomError("E202", "a position is a word ({places}) or a number from 0 to 1",
                                  {"places": ", ".join(PLACES)})
    if not 0 <= value <= 1:
        raise PydanticCustomError("E204", "position {value} is out of range: 0 is the left edge, 1 the right edge",
                                  {"value": f"{value:g}"})
    return float(value)


Place = Annotated[
    float | str,
    BeforeValidator(_place),
    WithJsonSchema({"anyOf": [{"enum": list(PLACES)}, {"type": "number", "minimum": 0, "maximum": 1}],
                    "examples": ["left", 0.3]}),
]


def _int_as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ModelOverrides(_Strict):
    """Model names per task kind; a missing kind inherits from the enclosing level."""

    image: Name | None = Field(None, description="Model for keyframe images (a name from `models`, or `procedural`).")
    video: Name | None = Field(None, description="Model for shot motion (a name from `models`, or `procedural`).")
    speech: Name | None = Field(
        None, description="Model for the speech of characters without a voice (a name from `models`, or `espeak`).")


class DefaultModels(_Strict):
    """The project's default model per task kind."""

    image: Name = Field("procedural", description="Default model for keyframe images.")
    video: Name = Field("procedural", description="Default model for shot motion.")
    speech: Name = Field("espeak", description="Default model for speech.")


class Gate(_Strict):
    """One consistency score's threshold."""

    min: float = Field(ge=-1, le=1, description="Lowest acceptable score (a cosine similarity, -1..1).",
                       examples=[0.65])


class Gates(_Strict):
    """Consistency gates: score every AI keyframe with an embedding model and re-render the failures."""

    model: Name = Field(description="The scoring model: a name from `models` of kind embed (CLIP-class).")
    identity: Gate | None = Field(None, description=(
        "Image-embedding similarity between each bound element's reference images and the keyframe (the "
        "element's masked region when the shot has a layout); the lowest element's counts."))
    prompt: Gate | None = Field(None, description="Text-image similarity between the prompt and the keyframe.")
    retries: int = Field(2, ge=0, le=16, description=(
        "Re-renders, with the next seeds of a sequence derived from the shot's seed, while a gate fails; the "
        "first try that passes is kept, else the best, with a warning."))


class ProjectSettings(_Strict):
    """Film-wide settings."""

    title: str = Field(min_length=1, max_length=200, pattern=LINE, description="Title of the film (one line).",
                       examples=["Luca Sees the Sea"])
    description: str | None = Field(None, description="A logline or synopsis; free text.")
    fps: int = Field(24, ge=1, le=120, description="Frames per second of every clip and of the film.")
    resolution: Annotated[list[Dimension], BeforeValidator(_resolution_shorthand),
                          _OrShorthand({"type": "string", "pattern": r"^[0-9]+x[0-9]+$"})] = Field(
        [1280, 720], min_length=2, max_length=2,
        description="Width and height in pixels, both even (H.264 needs even sizes): [1280, 720] or 1280x720.",
        examples=[[1280, 720], "1280x720"])
    seed: Seed = Field(0, description="Project seed; each shot's seed derives from it and the shot's id.")
    style: Name | None = Field(None, description="Default style (a name from `styles`).")
    models: DefaultModels = Field(default_factory=DefaultModels, description="Default model per task kind, by name.")
    vram_gb: float | None = Field(
        None, gt=0, le=4096,
        description="Memory budget (GB) for models resident at once; unset means unlimited.", examples=[24])
    language: str = Field("en", pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]+)*$",
                          description="Main language of the dialogue (subtitle metadata, default voice language).")
    gates: Gates | None = Field(None, description=(
        "Consistency gates for every diffusers keyframe (a model's own `gates` win)."))

    @field_validator("resolution")
    @classmethod
    def _even(cls, value: list[int]) -> list[int]:
        if any(v % 2 for v in value):
            raise PydanticCustomError("E204", "resolution {w}x{h} must have even width and height",
                                      {"w": value[0], "h": value[1]})
        return value


class ModelConfig(_Strict):
    """A named model configuration."""

    backend: Literal["procedural", "espeak", "diffusers", "transformers", "openai"] = Field(
        description="Backend that runs the model (`openai`: an OpenAI-compatible endpoint, from OPENAI_BASE_URL).")
    kind: ModelKind = Field(description="Task kind the model serves.")
    weights: str | None = Field(
        None, min_length=1,
        description=("Weights: a Hugging Face repo id, or a local directory or file (relative to the project); "
                     "for backend openai, the model's name at the endpoint."),
        examples=["stabilityai/sd-turbo", "models/tiny-sd"])
    revision: str | None = Field(None, pattern=REVISION, description="Revision (branch, tag or commit) of a repo id.",
                                 examples=["main", "v1.0"])
    dtype: Literal["float32", "float16", "bfloat16"] | None = Field(
        None, description="Numeric type of the weights (changes outputs, so it is part of the cache key).")
    vram_gb: float = Field(0, ge=0, le=4096, description="Estimated memory the loaded model takes, in GB.")
    batch_size: int = Field(1, ge=1, le=64, description="Ready tasks of this model rendered together in one call.")
    num_gpus: float | None = Field(
        None, ge=0, le=64,
        description=("GPUs the Ray actor holding this model asks for with --executor ray (a fraction shares a GPU); "
                     "unset: 1 for diffusers and transformers models on a cluster with GPUs, else 0. Placement only: "
                     "not part of cache keys."))
    params: dict[str, Any] = Field(
        default_factory=dict, description="Default parameters for every task of this model (backend specific).",
        examples=[{"look": "sketch"}, {"steps": 4, "guidance": 0.0}])
    gates: Gates | None = Field(None, description=(
        "Consistency gates for this image model's keyframes (instead of the project's)."))
    description: str | None = Field(None, description="Free text.")


class Lora(_Strict):
    """A LoRA adapter applied while this element or style is in a shot."""

    weights: str = Field(min_length=1, description="LoRA weights: a repo id or a local file.")
    scale: float = Field(1.0, ge=0, le=2, description="Strength of the adapter.")


class Enhance(_Strict):
    """Prompt enhancement: a language model rewrites each shot's prompt before its keyframe (and a
    diffusers video model) renders it; one cached ``enhance:<scene>/<shot>`` task per shot."""

    model: Name = Field(description="The language model (a name from `models` of kind llm).")
    instructions: str = Field("", max_length=4000, description=(
        "What the rewrite should do: the look to aim for, words to use or avoid. Empty: make the prompt vivid "
        "and concrete."))
    max_tokens: int = Field(120, ge=8, le=2000, description="Longest rewritten prompt, in tokens.")


class Style(_Strict):
    """A visual style: a prompt template and colours."""

    prompt: str = Field(
        "{{ action }}", max_length=10_000,
        description=(
            "Jinja template of the image prompt (sandboxed). Variables: action (with element descriptions), "
            "shot (id, type, duration, camera), scene (id, heading), location, characters, project (title)."),
        examples=["{{ action }}, {{ shot.type | replace('_', ' ') }} shot, watercolor"])
    negative: str = Field("", max_length=10_000, description="Negative prompt: what the picture must not show.")
    palette: list[Color] = Field(default_factory=list, max_length=32,
                                 description="Colours of the style, used by procedural rendering.")
    lora: Lora | None = Field(None, description="LoRA adapter applied to every keyframe in this style.")
    enhance: Enhance | None = Field(None, description="Rewrite each rendered prompt with a language model first.")
    description: str | None = Field(None, description="Free text.")


class EmotionAdjust(_Strict):
    """How an emotion changes a voice, as deltas to its settings."""

    pitch: int = Field(0, ge=-100, le=100, description="Pitch change.")
    rate: int = Field(0, ge=-300, le=300, description="Speaking-rate change, words per minute.")
    range: int = Field(0, ge=-100, le=100, description="Pitch-range change (intonation).")
    volume: int = Field(0, ge=-200, le=200, description="Volume change.")


class Voice(_Strict):
    """A voice a character speaks with."""

    engine: Name = Field("espeak", description="Speech model: `espeak` or a name from `models` of kind speech.")
    language: str = Field("en", pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]+)*$",
                          description="Language (and accent) code.", examples=["en-us", "it"])
    variant: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,32}$",
                                description="Engine voice variant (eSpeak: m1-m7, f1-f5, klatt, ...).")
    pitch: int = Field(50, ge=0, le=100, description="Base pitch, 0-100.")
    rate: int = Field(175, ge=80, le=450, description="Speaking rate in words per minute.")
    volume: int = Field(100, ge=0, le=200, description="Volume, 0-200 (100 is normal).")
    range: int = Field(50, ge=0, le=100, description="Pitch range (intonation), 0-100.")
    speaker: Annotated[str | None, BeforeValidator(_int_as_text)] = Field(
        None, max_length=200, description="Speaker id or name for multi-speaker models.")
    emotions: dict[str, EmotionAdjust] = Field(
        default_factory=dict, description="Emotion name -> adjustments; overrides the engine's built-in table.")
    description: str | None = Field(None, description="Free text.")


class Element(_Strict):
    """A character, location or prop that shots refer to with its trigger word."""

    kind: Literal["character", "location", "prop"] = Field(description="What the element is.")
    trigger: str | None = Field(
        None, pattern=r"^@[A-Za-z][A-Za-z0-9_]*$",
        description="Word that refers to the element in action text; defaults to '@' + the element's name.",
        examples=["@Luca"])
    description: str = Field(min_length=1, max_length=2000,
                             description="What it looks like; injected into every prompt that mentions it.")
    references: list[str] = Field(default_factory=list, max_length=16,
                                  description="Reference images (paths relative to the project).",
                                  examples=[["refs/luca.png"]])
    color: Color | None = Field(None, description="Signature colour (procedural rendering).")
    voice: Name | None = Field(None, description="Voice of a character (a name from `voices`).")
    lora: Lora | None = Field(None, description="LoRA adapter for this element.")


class Camera(_Strict):
    """A camera move over the shot."""

    move: CameraMove = Field("static", description=(
        "The move; 'static' still drifts a little so the picture lives, 'hold' is a freeze frame."))
    amount: float | None = Field(None, ge=0, le=1,
                                 description="Strength of the move, 0-1 (fraction of the frame); unset = default.")


class Transition(_Strict):
    """How this shot ends into the next one (on the last shot: into black)."""

    type: Literal["cut", "dissolve", "fade", "wipe"] = Field("cut", description="Kind of transition.")
    duration: float = Field(0.5, ge=0, le=5, description="Seconds the two shots overlap (ignored for a cut).")


class DialogueLine(_Strict):
    """One spoken line."""

    character: Name = Field(description="Who speaks: a character element's name.")
    line: str = Field(max_length=5000, description="What they say.")
    emotion: str | None = Field(None, pattern=r"^[A-Za-z][A-Za-z _-]{0,31}$",
                                description="How they say it (a parenthetical), e.g. playful, sad, whisper.")
    voice: Name | None = Field(None, description="Voice override for this line (a name from `voices`).")
    off_screen: Literal["O.S.", "V.O."] | None = Field(
        None, description=("Heard but not seen: 'O.S.' (off screen, in the scene) or 'V.O.' (voice-over); "
                           "the speaker is not drawn in the shot."))


class Pattern(_Strict):
    """Audio-reactive visuals driven by a music track (for music sections)."""

    track: Id = Field(description="Id of the audio track that drives the pattern.")
    style: Literal["cppn", "fractal", "noise"] = Field("cppn", description="Pattern generator.")
    offset: float = Field(0, ge=0, le=86_400, description="Seconds into the track where the shot's pattern starts.")


class Blocking(_Strict):
    """Who stands where in a shot, in which pose, and how they move: overrides what the action text says."""

    who: Name = Field(description="The character (an element name); blocking puts them in the shot.")
    at: Place | None = Field(None, description=(
        "Where they stand (or start): far_left, left, center, right, far_right, or 0-1 across the frame."))
    depth: Literal["near", "middle", "far"] | None = Field(
        None, description="How far from the camera: near (larger, lower), middle, far (smaller, higher).")
    pose: Pose | None = Field(None, description="What they do: a verb of the pose vocabulary (stand, sit, walk, ...).")
    to: Place | None = Field(None, description="Where they walk (run, with pose run) to during the shot.")
    enter: Literal["left", "right"] | None = Field(None, description="They come into frame from this side.")
    exit: Literal["left", "right"] | None = Field(None, description=(
        "They leave the frame on this side; with enter on the other side they cross the frame."))
    facing: Literal["left", "right", "camera", "away"] | None = Field(
        None, description="Which way they face; default: toward the others, or the camera.")
    look_at: Name | None = Field(None, description="A character they look at (and point at, hug, fight...).")


class Start(_Strict):
    """A picture the shot's keyframe starts from (image-to-image): a sketch, a layout, a photo."""

    image: str = Field(min_length=1, description="Image file (PNG, JPEG, WebP), relative to the project.",
                       examples=["boards/pier.png"])
    strength: float = Field(0.6, ge=0, le=1, description=(
        "How far the keyframe may move away from the picture: 0 keeps it as it is, 1 ignores it."))


class End(_Strict):
    """The picture a shot ends on (first/last-frame motion): an image file or another shot's keyframe."""

    image: str | None = Field(None, min_length=1, description="Image file (PNG, JPEG, WebP), relative to the project.",
                              examples=["refs/end.png"])
    shot: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*$", description=(
        "Another shot's keyframe, as `scene/shot`."), examples=["pier/wide"])


class Shot(_Strict):
    """One shot: a keyframe, a camera move, dialogue."""

    id: Id = Field(description="Stable id, unique in its scene; keys, seeds and file names derive from it.")
    type: ShotType = Field("medium", description="Shot size / framing.")
    duration: Duration = Field("auto", description="Seconds, or 'auto': as long as the dialogue plus a pad.")
    action: str = Field("", max_length=5000, description="What we see; '@Trigger' words bind elements.")
    card: str | None = Field(
        None, min_length=1, max_length=500,
        description=("A title card: this text, centred on a plain ground, instead of a picture (THE END, "
                     "ONE YEAR LATER, an intertitle). Drawn procedurally whatever the shot's image model."),
        examples=["THE END"])
    camera: Annotated[Camera, BeforeValidator(_camera_shorthand),
                      _OrShorthand({"enum": list(get_args(CameraMove))})] = Field(
        default_factory=Camera, description="Camera move: {move: pan_left, amount: 0.3}, or just the move: pan_left.")
    dialogue: list[DialogueLine] = Field(default_factory=list, max_length=200, description="Spoken lines, in order.")
    transition: Transition | None = Field(None, description="Transition into the next shot; default: cut.")
    location: Name | None = Field(None, description="Location element; overrides the scene's.")
    style: Name | None = Field(None, description="Style; overrides the scene's and the project's.")
    models: ModelOverrides | None = Field(None, description="Models for this shot; override the scene's.")
    seed: Seed | None = Field(None, description="Seed for this shot; default derives from the project seed and id.")
    start: Start | None = Field(None, description="Start the keyframe from this picture instead of from noise.")
    end: End | None = Field(None, description=(
        "End the shot's motion on this picture: the procedural motion cross-fades to it over the shot; an "
        "LTX-Video model renders the shot between its keyframe and this picture (other video models: E352)."))
    pattern: Pattern | None = Field(None, description="Render audio-reactive visuals instead of the keyframe motion.")
    blocking: list[Blocking] = Field(default_factory=list, max_length=32, description=(
        "Who is where, in which pose, moving how; overrides the poses read from the action text."))
    notes: str | None = Field(None, description="Free text for the crew; ignored by rendering.")


class Scene(_Strict):
    """A scene: a heading and its shots."""

    id: Id = Field(description="Stable id, unique in the film.")
    heading: str | None = Field(None, max_length=500, pattern=LINE, description="Scene heading (one line).",
                                examples=["EXT. HIDDEN COVE - DAY"])
    description: str | None = Field(None, description="Free text.")
    location: Name | None = Field(None, description="Location element of the scene's shots.")
    style: Name | None = Field(None, description="Style of the scene's shots; overrides the project's.")
    models: ModelOverrides | None = Field(None, description="Models for the scene's shots; override the project's.")
    shots: list[Shot] = Field(min_length=1, max_length=10_000, description="The shots, in order.")


class AudioTrack(_Strict):
    """A music or sound-effect track under the film."""

    id: Id = Field(description="Stable id.")
    file: str = Field(min_length=1, description="Audio file (WAV, FLAC, OGG), relative to the project.",
                      examples=["audio/theme.wav"])
    kind: Literal["music", "effect"] = Field("music", description="Music or effect.")
    start: float = Field(0, ge=0, le=86_400, description="Start in seconds (from the film start, or from `at`).")
    at: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*$",
                           description="Anchor 'scene/shot': `start` counts from that shot's start.",
                           examples=["cove/dare"])
    volume: float = Field(1.0, ge=0, le=4, description="Gain (1 = as recorded).")
    duck_under_dialogue: bool = Field(False, description="Lower this track while someone speaks.")
    loop: bool = Field(False, description="Repeat the track until the film ends.")
    fade_in: float = Field(0, ge=0, le=60, description="Fade-in seconds.")
    fade_out: float = Field(0, ge=0, le=60, description="Fade-out seconds.")


class StoryboardPdf(_Strict):
    """The printable storyboard, build/storyboard.pdf (needs the `export` extra)."""

    enabled: bool = Field(True, description="Write storyboard.pdf: a title page, then a panel per shot.")
    panels_per_page: Literal[1, 2, 3, 4, 6, 8, 9, 12] = Field(
        6, description="Panels on a landscape page: 1, 2 or 3 in a row; 4 (2x2), 6 (3x2), 8 (4x2), 9 (3x3), 12 (4x3).")
    paper: Literal["a4", "letter"] = Field("a4", description="Paper size (the pages are landscape).")


class Output(_Strict):
    """What the build delivers."""

    subtitles: Literal["none", "soft", "burn"] = Field(
        "soft", description="Subtitles: none, soft (a track in the MP4 plus subtitles.srt) or burn (burned into the "
        "picture).")
    loudness: float = Field(-16, ge=-40, le=-5, description="Integrated loudness target, LUFS (EBU R128).")
    crf: int = Field(20, ge=0, le=51, description="H.264 quality (lower is better and larger).")
    caption: bool = Field(False, description="Draw each shot's action on its keyframe (storyboard look).")
    storyboard: bool = Field(True, description="Render storyboard.png, a contact sheet of the keyframes.")
    storyboard_pdf: StoryboardPdf = Field(
        default_factory=StoryboardPdf,
        description="storyboard.pdf, a printable board with a panel per shot (needs the `export` extra).")
    timeline: bool = Field(
        True, description="Write timeline.otio, an OpenTimelineIO timeline for editors (needs the `export` extra).")
    masters: Literal["none", "exr"] = Field(
        "none", description=("exr: also write keyframes and every shot frame as half-float OpenEXR in ACEScg "
                             "(scene-linear) under masters/; PNG previews stay sRGB (needs the `export` extra)."))


class Project(_Strict):
    """A studio project file (format v1)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, title="studio project")

    studio: Literal[1] = Field(description="Format version of this file.")
    project: ProjectSettings = Field(
        description="Film-wide settings: title, frame rate, resolution, seed, default models.")
    models: dict[Name, ModelConfig] = Field(
        default_factory=dict, description="Named model configurations; `procedural` and `espeak` are built in.")
    styles: dict[Name, Style] = Field(default_factory=dict, description="Named styles.")
    voices: dict[Name, Voice] = Field(default_factory=dict, description="Named voices.")
    elements: dict[Name, Element] = Field(default_factory=dict, description="Characters, locations and props.")
    scenes: list[Scene] = Field(min_length=1, max_length=10_000, description="The scenes, in order.")
    audio: list[AudioTrack] = Field(default_factory=list, description="Music and effect tracks.")
    output: Output = Field(default_factory=Output, description="Delivery settings.")
