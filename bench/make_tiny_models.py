"""Tiny random-weight models, built from configs, for tests, benchmarks and ``examples/tiny-ai``.

Nothing is downloaded: every component is constructed from a config with seeded random weights,
the tokenizers' vocabularies are written here, and each model is saved with ``save_pretrained``
so that the backends load it through the same ``from_pretrained`` path that real weights take.

    python bench/make_tiny_models.py DEST [--only sd,lora,ip,speecht5,ltx,animatediff,vits]

writes ``DEST/tiny-sd`` (Stable Diffusion: UNet2DConditionModel, AutoencoderKL, CLIP text
encoder and tokenizer, DDIM scheduler), ``DEST/tiny-lora`` (a LoRA for the tiny SD UNet),
``DEST/tiny-ip-adapter`` (an IP-Adapter for the tiny SD UNet: ``ip-adapter.safetensors`` in the
original format and a CLIP vision ``image_encoder/``), ``DEST/tiny-speecht5`` (SpeechT5 with a
HiFi-GAN vocoder), ``DEST/tiny-ltx`` (LTX-Video image-to-video: a one-layer
LTXVideoTransformer3DModel, a small causal video VAE with a 4x temporal stride, a T5 encoder with
a Unigram tokenizer), ``DEST/tiny-animatediff`` (the tiny SD components with a motion adapter)
``DEST/tiny-vits`` (VITS with a character vocabulary), ``DEST/tiny-controlnet`` (a ControlNet for
the tiny SD UNet, zero convolutions made random) and ``DEST/tiny-clip`` (a CLIP model, tokenizer and
image processor: an ``embed`` model for consistency gates). The pictures and sounds they make are
noise; what matters is that every code path runs, fast, on a CPU. Every weight is seeded, so a
rebuild writes the same bytes. ``examples/tiny-ai/models`` holds the output of ``python
bench/make_tiny_models.py examples/tiny-ai/models --only sd,lora,ip,ltx,vits,controlnet,clip``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["BUILDERS", "IP_ADAPTER_WEIGHTS", "make_all", "tiny_animatediff", "tiny_clip", "tiny_controlnet",
           "tiny_ip_adapter", "tiny_llm", "tiny_lora", "tiny_ltx", "tiny_sd", "tiny_speecht5", "tiny_vits"]

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_WORDS = ["the", "and", "sea", "boy", "at", "in", "on", "of", "shot", "style", "wide", "medium", "close"]


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP byte-level alphabet: every byte maps to a printable character."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs), strict=True))


def clip_tokenizer() -> Any:
    """A CLIP BPE tokenizer with a small vocabulary written here: every byte, every byte at a word's
    end, and merges that build a few common words."""
    from transformers import CLIPTokenizer

    alphabet = list(_bytes_to_unicode().values())
    vocab: dict[str, int] = {}
    for token in [*alphabet, *(c + "</w>" for c in alphabet)]:
        vocab.setdefault(token, len(vocab))
    merges: list[tuple[str, str]] = []
    for word in _WORDS:
        current = word[0]
        for i, ch in enumerate(word[1:], 1):
            right = ch + ("</w>" if i == len(word) - 1 else "")
            merges.append((current, right))
            current += right
            vocab.setdefault(current, len(vocab))
    for special in ("<|startoftext|>", "<|endoftext|>"):
        vocab.setdefault(special, len(vocab))
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


def t5_tokenizer() -> Any:
    """A T5 Unigram tokenizer over letters and a few words."""
    from transformers import T5TokenizerFast

    pieces: list[tuple[str, float]] = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [(c, -3.0) for c in _LETTERS + _LETTERS.upper() + "0123456789,.'!?-"]
    pieces += [(f"▁{w}", -1.0) for w in _WORDS]
    return T5TokenizerFast(vocab=pieces, extra_ids=0, model_max_length=64)


def _seed(n: int) -> None:
    import torch

    torch.manual_seed(n)


def _sd_components() -> dict[str, Any]:
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    _seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16), layers_per_block=1, sample_size=32, in_channels=4, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=16, attention_head_dim=4, norm_num_groups=4)
    _seed(1)
    vae = AutoencoderKL(
        block_out_channels=(8, 8), in_channels=3, out_channels=3, latent_channels=4, norm_num_groups=4,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"), sample_size=64)
    _seed(2)
    tokenizer = clip_tokenizer()
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=2, max_position_embeddings=77, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, projection_dim=16))
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False, steps_offset=1)
    return {"unet": unet, "vae": vae, "text_encoder": text_encoder, "tokenizer": tokenizer, "scheduler": scheduler}


def tiny_sd(dest: Path) -> Path:
    """A Stable Diffusion 1.x-shaped text-to-image pipeline (VAE stride 2, native size 64x64)."""
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline(**_sd_components(), safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.save_pretrained(dest, safe_serialization=True)
    return dest


IP_ADAPTER_WEIGHTS = "ip-adapter.safetensors"
"""The IP-Adapter weights file ``tiny_ip_adapter`` writes (models name it with ``weight_name``)."""


def tiny_ip_adapter(dest: Path) -> Path:
    """An IP-Adapter for the tiny SD UNet, laid out as diffusers' ``load_ip_adapter`` reads a local directory:
    ``image_encoder/`` (a CLIPVisionModelWithProjection, 32x32 input, 16-dim image embeddings) and
    ``ip-adapter.safetensors`` in the original IP-Adapter format: ``image_proj.proj`` (image embedding ->
    4 tokens of the UNet's cross-attention width), ``image_proj.norm``, and ``ip_adapter.<id>.to_k_ip`` /
    ``to_v_ip`` for every cross-attention processor, where ``<id>`` counts the UNet's attention processors
    from 1 in diffusers' order (self-attention, cross-attention, ...) so the cross-attention ones are odd."""
    import torch
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    unet = _sd_components()["unet"]
    width = unet.config.cross_attention_dim
    _seed(50)
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        image_size=32, patch_size=8, num_channels=3, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=2, projection_dim=16))
    encoder.save_pretrained(dest / "image_encoder", safe_serialization=True)
    embed = encoder.config.projection_dim
    _seed(51)
    tokens = 4  # diffusers reads a plain IP-Adapter (image_proj.proj.weight) as 4 image tokens
    tensors = {"image_proj.proj.weight": torch.randn(tokens * width, embed) * 0.5,
               "image_proj.proj.bias": torch.randn(tokens * width) * 0.1,
               "image_proj.norm.weight": 1 + torch.randn(width) * 0.1,
               "image_proj.norm.bias": torch.randn(width) * 0.1}
    key_id = 1
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue  # self-attention: no image tokens, but the id skips it (diffusers adds 2 per cross-attention)
        hidden = _hidden_size(unet, name)
        tensors[f"ip_adapter.{key_id}.to_k_ip.weight"] = torch.randn(hidden, width) * 0.5
        tensors[f"ip_adapter.{key_id}.to_v_ip.weight"] = torch.randn(hidden, width) * 0.5
        key_id += 2
    save_file(tensors, str(dest / IP_ADAPTER_WEIGHTS), metadata={"format": "pt"})
    return dest


def _hidden_size(unet: Any, processor: str) -> int:
    """The channel width of the UNet block an attention processor belongs to (as diffusers works it out)."""
    channels = list(unet.config.block_out_channels)
    if processor.startswith("mid_block"):
        return channels[-1]
    block = int(processor.split(".")[1])
    return channels[::-1][block] if processor.startswith("up_blocks") else channels[block]


def tiny_animatediff(dest: Path) -> Path:
    """AnimateDiff (video-to-video, used for image-to-video): the tiny SD components plus a motion adapter."""
    from diffusers import AnimateDiffVideoToVideoPipeline, MotionAdapter, UNetMotionModel

    parts = _sd_components()
    _seed(3)
    adapter = MotionAdapter(block_out_channels=(8, 16), motion_layers_per_block=1, motion_norm_num_groups=4,
                            motion_num_attention_heads=2, motion_max_seq_length=32)
    unet = UNetMotionModel.from_unet2d(parts.pop("unet"), adapter)
    pipe = AnimateDiffVideoToVideoPipeline(unet=unet, motion_adapter=adapter, feature_extractor=None,
                                           image_encoder=None, **parts)
    pipe.save_pretrained(dest, safe_serialization=True)
    return dest


def tiny_ltx(dest: Path) -> Path:
    """LTX-Video image-to-video: VAE spatial stride 4, temporal stride 4 (so 4k+1 frames)."""
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXImageToVideoPipeline,
        LTXVideoTransformer3DModel,
    )
    from transformers import T5Config, T5EncoderModel

    _seed(10)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=2, attention_head_dim=8,
        cross_attention_dim=16, num_layers=1, caption_channels=16)
    _seed(11)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1), spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False), decoder_inject_noise=(False,) * 5,
        upsample_residual=(False,) * 4, upsample_factor=(1,) * 4, timestep_conditioning=False, patch_size=1,
        patch_size_t=1, encoder_causal=True, decoder_causal=False)
    _seed(12)
    tokenizer = t5_tokenizer()
    text_encoder = T5EncoderModel(T5Config(
        vocab_size=len(tokenizer), d_model=16, d_ff=32, d_kv=8, num_layers=1, num_heads=2,
        relative_attention_num_buckets=8, pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id))
    pipe = LTXImageToVideoPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae, text_encoder=text_encoder,
                                   tokenizer=tokenizer, transformer=transformer)
    pipe.save_pretrained(dest, safe_serialization=True)
    return dest


def tiny_vits(dest: Path) -> Path:
    """A VITS text-to-speech model with a character vocabulary (16 kHz)."""
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    dest.mkdir(parents=True, exist_ok=True)
    symbols = ["<pad>", "<unk>", " ", *_LETTERS, *"0123456789,.'!?-"]
    vocab_file = dest / "vocab.json"
    vocab_file.write_text(json.dumps({s: i for i, s in enumerate(symbols)}, indent=1) + "\n", encoding="utf-8")
    tokenizer = VitsTokenizer(str(vocab_file), language="eng", add_blank=True, normalize=True, phonemize=False)
    _seed(20)
    config = VitsConfig(
        vocab_size=len(symbols), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, window_size=2,
        ffn_dim=32, ffn_kernel_size=3, flow_size=8, spectrogram_bins=9, upsample_initial_channel=16,
        upsample_rates=[8, 8, 4], upsample_kernel_sizes=[16, 16, 8], resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]], prior_encoder_num_flows=1, prior_encoder_num_wavenet_layers=1,
        posterior_encoder_num_wavenet_layers=1, duration_predictor_filter_channels=16,
        duration_predictor_num_flows=1, depth_separable_num_layers=1, use_stochastic_duration_prediction=False,
        sampling_rate=16000)
    model = VitsModel(config)
    model.save_pretrained(dest, safe_serialization=True)
    tokenizer.save_pretrained(dest)
    return dest


_CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
_LLM_WORDS = ["the", "and", "a", "of", "to", "in", "shot", "scene", "character", "description", "action", "line",
              "name", "duration", "medium", "wide", "close_up", "camera", "move", "static", "dialogue", "emotion"]


def llm_tokenizer() -> Any:
    """A byte-level BPE tokenizer written here (every byte is a token, so any text can be spelt; a few
    merges build common words and JSON punctuation), with ChatML specials and a chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = list(_bytes_to_unicode().values())
    vocab: dict[str, int] = {}
    for token in alphabet:
        vocab.setdefault(token, len(vocab))
    merges: list[tuple[str, str]] = []
    space = _bytes_to_unicode()[ord(" ")]
    for word in [*_LLM_WORDS, *(space + w for w in _LLM_WORDS), '":', '",', space + '"']:
        current = word[0]
        for ch in word[1:]:
            if current + ch not in vocab:
                merges.append((current, ch))
                vocab[current + ch] = len(vocab)
            current += ch
    model = models.BPE(vocab=vocab, merges=merges)
    backend = Tokenizer(model)
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<|im_start|>", eos_token="<|im_end|>",
                                        pad_token="<|endoftext|>", model_max_length=4096)
    tokenizer.chat_template = _CHAT_TEMPLATE
    return tokenizer


def tiny_llm(dest: Path) -> Path:
    """A causal language model (Llama architecture: 2 layers, 64 wide) with ``llm_tokenizer``: random
    weights write nonsense, but under a grammar that nonsense is a valid document."""
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = llm_tokenizer()
    _seed(30)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=8192, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=True)
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(dest, safe_serialization=True)
    tokenizer.save_pretrained(dest)
    return dest


def tiny_lora(dest: Path) -> Path:
    """A LoRA for the tiny SD UNet's attention (rank 2, random non-zero weights): one .safetensors file."""
    import torch
    from diffusers import StableDiffusionPipeline
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig, get_peft_model_state_dict

    unet = _sd_components()["unet"]
    unet.add_adapter(LoraConfig(r=2, lora_alpha=2, target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    _seed(30)
    with torch.no_grad():
        for name, weight in unet.named_parameters():
            if "lora_" in name:
                weight.copy_(torch.randn_like(weight) * 0.5)
    dest.mkdir(parents=True, exist_ok=True)
    StableDiffusionPipeline.save_lora_weights(
        dest, unet_lora_layers=convert_state_dict_to_diffusers(get_peft_model_state_dict(unet)),
        weight_name="lora.safetensors", safe_serialization=True)
    return dest / "lora.safetensors"


def _spm_model(text: str, size: int) -> bytes:
    """A character-level SentencePiece model trained on ``text`` (for SpeechT5's tokenizer)."""
    import io

    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(text.splitlines()), model_writer=model, vocab_size=size,
                                   model_type="char", character_coverage=1.0, minloglevel=2, num_threads=1)
    return model.getvalue()


def tiny_speecht5(dest: Path) -> Path:
    """SpeechT5 text-to-speech with a tiny HiFi-GAN vocoder in ``dest/vocoder`` (16 kHz, 16-dim speakers).

    The stop head never fires (its bias is -8), so a line lasts SpeechT5's maximum, 20 frames per
    token (a character; 80 ms at 16 kHz), and the vocoder's weights are large enough to make an
    audible buzz with harmonics of its 250 Hz frame rate: something whose duration and pitch a test
    can measure."""
    from transformers import (
        SpeechT5Config,
        SpeechT5FeatureExtractor,
        SpeechT5ForTextToSpeech,
        SpeechT5HifiGan,
        SpeechT5HifiGanConfig,
        SpeechT5Processor,
        SpeechT5Tokenizer,
    )

    dest.mkdir(parents=True, exist_ok=True)
    corpus = "\n".join([" ".join(_WORDS), _LETTERS, _LETTERS.upper(), "0123456789 , . ' ! ? -"] * 4)
    (dest / "spm_char.model").write_bytes(_spm_model(corpus, 70))
    tokenizer = SpeechT5Tokenizer(str(dest / "spm_char.model"))
    processor = SpeechT5Processor(feature_extractor=SpeechT5FeatureExtractor(num_mel_bins=8), tokenizer=tokenizer)
    _seed(40)
    config = SpeechT5Config(
        vocab_size=len(tokenizer), hidden_size=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, speech_decoder_prenet_units=16,
        speech_decoder_postnet_units=16, speech_decoder_postnet_layers=2, speech_decoder_postnet_kernel=3,
        num_mel_bins=8, speaker_embedding_dim=16, max_speech_positions=600, max_text_positions=200,
        positional_dropout=0.0, hidden_dropout=0.0, attention_dropout=0.0, activation_dropout=0.0,
        speech_decoder_prenet_dropout=0.0, reduction_factor=2, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    net = SpeechT5ForTextToSpeech(config)
    net.speech_decoder_postnet.prob_out.bias.data.fill_(-8.0)
    net.save_pretrained(dest, safe_serialization=True)
    processor.save_pretrained(dest)
    _seed(41)
    vocoder = SpeechT5HifiGan(SpeechT5HifiGanConfig(
        model_in_dim=8, upsample_initial_channel=16, upsample_rates=[4, 4, 2, 2], upsample_kernel_sizes=[8, 8, 4, 4],
        resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3]], sampling_rate=16000, initializer_range=0.3))
    vocoder.save_pretrained(dest / "vocoder", safe_serialization=True)
    return dest


def tiny_controlnet(dest: Path) -> Path:
    """A ControlNet for the tiny SD UNet (``ControlNetModel.from_unet``), its conditioning embedding
    downsampling once, as the tiny VAE does. A new ControlNet's zero convolutions (its outputs and the
    conditioning embedding's last layer) start at zero, so it would ignore the control image: here they
    get seeded random weights, so the layout visibly steers the picture."""
    import torch
    from diffusers import ControlNetModel

    unet = _sd_components()["unet"]
    _seed(60)
    net = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=(8, 16))
    with torch.no_grad():
        for name, param in net.named_parameters():
            if name.startswith(("controlnet_down_blocks", "controlnet_mid_block",
                                "controlnet_cond_embedding.conv_out")):
                param.copy_(torch.randn(param.shape) * 0.3)
    net.save_pretrained(dest, safe_serialization=True)
    return dest


def tiny_clip(dest: Path) -> Path:
    """A CLIP model (text and vision towers, 16-dim projections, 32x32 images) with its tokenizer and
    image processor: the ``embed`` model that scores consistency gates."""
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    tokenizer = clip_tokenizer()
    _seed(70)
    config = CLIPConfig(
        text_config={"vocab_size": len(tokenizer), "hidden_size": 16, "intermediate_size": 32,
                     "num_hidden_layers": 2, "num_attention_heads": 2, "max_position_embeddings": 77,
                     "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
                     "pad_token_id": tokenizer.pad_token_id},
        vision_config={"image_size": 32, "patch_size": 8, "hidden_size": 16, "intermediate_size": 32,
                       "num_hidden_layers": 2, "num_attention_heads": 2},
        projection_dim=16)
    CLIPModel(config).save_pretrained(dest, safe_serialization=True)
    tokenizer.save_pretrained(dest)
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(dest)
    return dest


BUILDERS: dict[str, tuple[str, Callable[[Path], Path]]] = {
    "sd": ("tiny-sd", tiny_sd),
    "lora": ("tiny-lora", tiny_lora),
    "ip": ("tiny-ip-adapter", tiny_ip_adapter),
    "speecht5": ("tiny-speecht5", tiny_speecht5),
    "ltx": ("tiny-ltx", tiny_ltx),
    "animatediff": ("tiny-animatediff", tiny_animatediff),
    "vits": ("tiny-vits", tiny_vits),
    "controlnet": ("tiny-controlnet", tiny_controlnet),
    "clip": ("tiny-clip", tiny_clip),
    "llm": ("tiny-llm", tiny_llm),
}


def make_all(dest: Path, only: list[str] | None = None) -> dict[str, Path]:
    """Build the tiny models under ``dest``; returns name -> directory."""
    import torch
    import transformers

    torch.set_num_threads(1)
    transformers.utils.logging.disable_progress_bar()  # "Writing model shards" bars on stderr
    out = {}
    for name in only or list(BUILDERS):
        folder, build = BUILDERS[name]
        out[name] = build(dest / folder)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--only", default=",".join(BUILDERS), help="comma-separated: " + ",".join(BUILDERS))
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n]
    unknown = [n for n in names if n not in BUILDERS]
    if unknown:
        parser.error(f"unknown model {unknown[0]!r}")
    for name, path in make_all(args.dest, names).items():
        size = path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        print(f"{name}: {path} ({size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
