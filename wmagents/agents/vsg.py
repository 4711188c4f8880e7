"""VSG and SVSG (Jain et al., "Learning Robust Dynamics through Variational Sparse Gating",
eq. 1-8) and the baselines of their score files, all on the Dreamer agent
(:mod:`wmagents.agents.dreamer`) with the VSG code's DreamerV2-style settings.

Presets (``preset=``), DMC (VSG ``dmc`` config + ``scripts/dmc.sh``; DIM = deter = hidden = 1024,
the only value VSG documents; its config default is 200):

* ``vsg`` (default): the gated cell (eq. 2), 32 x 32 categorical latents, sparsity eq. 3;
* ``svsg``: no deterministic state, 1024 gated Gaussian dims (eq. 6-8), KL masked by the gates;
* ``vsg_dreamerv2``: the same code with the LayerNorm GRU (VSG's DreamerV2 runs);
* ``vsg_dreamerv1``: ``vsg_dreamerv2`` with 32 Gaussian dims: what VSG's scripts call
  "DreamerV1" (not Hafner's DreamerV1, which is ``dreamer`` with ``preset="dreamerv1"``).

``*_bbs`` (VSG ``bringbackshapes`` config + its script, action repeat 4): the same models with
a discount head, 48-channel convs, 4-layer heads, learning rates 1e-4 / 2e-4 / 8e-5, entropy
2e-3, prefill 10,000 env steps (2,500 decisions), one pretraining update, KL free nats 0 for
categorical and 1 for Gaussian latents. Not reproduced: oversampling of episode ends.
Every preset uses the ``vsg`` return alignment (:mod:`wmagents.models.imagination`) because
the score files come from that code; step-valued settings are agent steps.
"""

from __future__ import annotations

from dataclasses import dataclass

from wmagents.agents.dreamer import Dreamer, DreamerConfig, preset_config


@dataclass
class VSGConfig(DreamerConfig):
    """Defaults: the ``vsg`` preset (VSG configs.yaml ``dmc`` block + scripts/dmc.sh)."""

    preset: str = "vsg"                  # our choice: presets vsg | svsg | vsg_dreamerv2 | ... (docstring)
    deter: int = 1024                    # VSG released code (README, dmc.sh): DIM 1024 (config: 200)
    hidden: int = 1024                   # VSG released code, dmc.sh: hidden = DIM
    cell: str = "vsg"                    # VSG released code, configs.yaml dyn_cell sgru (eq. 2)
    cnn_depth: int = 32                  # VSG released code, configs.yaml dmc: cnn_depth 32
    reward_layers: int = 2               # VSG released code, configs.yaml dmc: reward_layers 2
    value_layers: int = 3                # VSG released code, configs.yaml dmc: value_layers 3
    gate_sparsity_scale: float = 0.1     # VSG released code, scripts: --dyn_gate_scale 0.1 (eq. 3)
    weight_decay: float = 0.0            # VSG released code, configs.yaml dmc: weight_decay 0
    reward_scale: float = 2.0            # VSG released code, configs.yaml dmc: reward_scale 2
    alignment: str = "vsg"               # VSG released code, ImagBehavior (imagination.py)
    batch_size: int = 50                 # VSG released code, configs.yaml dmc: batch_size 50
    prefill: int = 1250                  # VSG released code, configs.yaml dmc: prefill 2500 env steps


_GAUSSIAN = dict(classes=0, stoch=32)
_BBS = dict(cnn_depth=48, reward_layers=4, value_layers=4, discount_layers=4, kl_free=0.0,
            model_lr=1e-4, value_lr=2e-4, weight_decay=1e-6, reward_scale=1.0,
            entropy_scale=2e-3, batch_size=16, prefill=2500, pretrain=1)
PRESETS = {
    "vsg": {},
    "svsg": dict(stochastic_only=True, classes=0, stoch=1024),
    "vsg_dreamerv2": dict(cell="ln_gru", gate_sparsity_scale=0.0),
    "vsg_dreamerv1": dict(cell="ln_gru", gate_sparsity_scale=0.0, **_GAUSSIAN),
}
PRESETS.update({f"{name}_bbs": {**values, **_BBS, **({"kl_free": 1.0} if values.get("classes") == 0
                                                     else {})}
                for name, values in list(PRESETS.items())})


def make_agent(observation_space, action_space, *, seed, device, overrides):
    return Dreamer(observation_space, action_space,
                   preset_config(VSGConfig, PRESETS, dict(overrides)), seed=seed, device=device)
