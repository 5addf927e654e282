"""Tiny random models with trained tokenizers, for tests and quick demos.

``tiny_gpt2`` is a 2-layer GPT-2 with a byte-level BPE tokenizer; ``tiny_bert`` a
2-layer BERT with a WordPiece tokenizer. Both are built offline in well under a
second, with fixed seeds, and saved as Hugging Face folders that ``export``
accepts like any other model.
"""

from __future__ import annotations

from pathlib import Path

CORPUS = (
    "the quick brown fox jumps over the lazy dog",
    "agents stake ether and run models off chain",
    "a committee commits then reveals its result",
    "hello world, hello agents, hello chain",
    "zéro ünïcode 日本語 text for the tokenizer",
    "numbers 0 1 2 3 4 5 6 7 8 9 and punctuation !?.,;:",
)


def tiny_gpt2(folder: Path, seed: int = 0) -> Path:
    """A random 2-layer GPT-2 (vocab ~300) saved with its tokenizer in ``folder``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(list(CORPUS) * 20, trainer)
    eos = "<|endoftext|>"
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=eos, bos_token=eos, unk_token=eos, pad_token=eos
    )
    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=tok.get_vocab_size(),
        n_positions=128,
        n_embd=32,
        n_layer=2,
        n_head=4,
        bos_token_id=0,
        eos_token_id=0,
        tie_word_embeddings=False,
    )
    model = GPT2LMHeadModel(config).eval()
    with torch.no_grad():  # logits of a few units: varied greedy output, no near-ties
        model.lm_head.weight.normal_(0.0, 1.0)
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def tiny_bert(folder: Path, seed: int = 0) -> Path:
    """A random 2-layer BERT (hidden 32) saved with a WordPiece tokenizer in ``folder``."""
    import torch
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(
        list(CORPUS) * 20, trainers.WordPieceTrainer(vocab_size=200, special_tokens=specials)
    )
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    tok.decoder = decoders.WordPiece()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=64,
    )
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).eval().save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


TINY_PACKAGES: dict[str, tuple[str, str, dict[str, object]]] = {
    # name -> (model, kind, export options)
    "embedding": ("bert", "embedding", {}),
    "classification": ("bert", "classification", {}),
    "generation": ("gpt2", "generation", {}),
}


def tiny_package(base: Path, name: str) -> Path:
    """Build (once per ``base``) the tiny model and export the named package into base."""
    from model_export.export import export

    model, kind, options = TINY_PACKAGES[name]
    out = base / f"pkg-{name}"
    if (out / "manifest.json").is_file():
        return out
    folder = base / f"hf-{model}"
    if not (folder / "config.json").is_file():
        (tiny_gpt2 if model == "gpt2" else tiny_bert)(folder)
    export(folder, kind, out, **options)  # type: ignore[arg-type]
    return out
