"""Shared by the tests of automata_probe.models."""

from __future__ import annotations

from automata_probe.automata.dfa import DFA
from automata_probe.data import n_outputs
from automata_probe.models import ModelConfig, build_model
from automata_probe.models.training import TrainConfig

ARCHS = ("mamba", "lstm", "transformer")


# mamba_ssm 2.x MambaLMHeadModel(d_model=64, n_layer=2, vocab_size=5) (pad_vocab_size_multiple=8,
# rms_norm=True) minus lm_head, plus our head; from reference/measurements.md
MAMBA_SSM_PARAMS = {
    "backbone.embedding.weight": (8, 64),
    **{
        f"backbone.layers.{i}.{name}": shape
        for i in range(2)
        for name, shape in {
            "norm.weight": (64,),
            "mixer.in_proj.weight": (256, 64),
            "mixer.conv1d.weight": (128, 1, 4),
            "mixer.conv1d.bias": (128,),
            "mixer.x_proj.weight": (4 + 32, 128),
            "mixer.dt_proj.weight": (128, 4),
            "mixer.dt_proj.bias": (128,),
            "mixer.A_log": (128, 16),
            "mixer.D": (128,),
            "mixer.out_proj.weight": (64, 128),
        }.items()
    },
    "backbone.norm_f.weight": (64,),
    "head.weight": (3, 64),
    "head.bias": (3,),
}


def small_config(arch: str, **kw) -> ModelConfig:
    base = dict(arch=arch, vocab_size=5, n_outputs=3, d_model=16, n_layers=2, d_state=4)
    base.update(kw)
    return ModelConfig(**base)


def tiny_model(dfa: DFA, task: str = "next", seed: int = 0, arch: str = "mamba"):
    cfg = ModelConfig(arch=arch, vocab_size=dfa.n_letters + 2, n_outputs=n_outputs(task, dfa), d_model=16,
                      n_layers=1, d_state=4, n_heads=2)
    return build_model(cfg, seed=seed)


def quick_config(**kw) -> TrainConfig:
    base = dict(train_lengths=(1, 8), test_bins=((9, 16),), batch_size=16, max_steps=5, eval_every=5, eval_n=32,
                final_eval_n=32, checkpoint_every=None, early_stop_evals=None, seed=0, threads=1, warmup_steps=2)
    base.update(kw)
    return TrainConfig(**base)
