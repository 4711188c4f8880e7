"""ShapeHerd: push shapes into a goal pocket from a partial, agent-centred 64x64 view."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from wmenvs.actions import validate_box_action
from wmenvs.shapeherd.draw import agent_view, arena_view, draw_view_outline, draw_world
from wmenvs.shapeherd.world import FORCE_SCALE, MAX_MAGNITUDE, Arena, World, spawn_episode

REWARDS = ("dense", "sparse")


def dense_object_reward(t: int) -> float:
    """VSG eq. 9: an object pushed in at underlying step ``t`` earns 1 + max(0, 1.5 - t/1000)."""
    return 1.0 + max(0.0, 1.5 - t / 1000.0)


class ShapeHerdEnv(gym.Env):
    """ShapeHerd (VSG paper, Jain et al., §5.1; released as "BringBackShapes", BBS).

    ## Description
    A steel-blue disc (the agent) pushes five shapes - triangle, square, rectangle, pentagon,
    hexagon in orange/blue/green/red/purple - into a green pocket in the right wall of a
    walled arena (pymunk physics, no gravity, 30 % velocity loss per second). The agent sees
    only a 250-unit square around itself (about 25 % of the interior), so it must explore and
    remember where objects are. Optional Brownian "kite" distractors move randomly.

    ## Action Space
    ``Box(-1, 1, (2,), float32)``: ``a0`` -> force angle ``pi * (a0 + 1)`` in [0, 2 pi];
    ``a1`` -> magnitude ``200 * (a1 + 1)`` in [0, 400]; the force ``100 x magnitude`` acts at
    the agent's centre of mass for every underlying step of the action repeat. NaN/inf, wrong
    shape or non-numeric actions raise ``ValueError``; finite out-of-range values are clipped.

    ## Observation Space
    ``Box(0, 255, (64, 64, 3), uint8)``: the ``view_size`` (250) world-unit square centred on
    the agent, drawn at ``obs_size`` pixels, showing the state *after* the step.

    ## Rewards
    ``reward="dense"`` (``ShapeHerd-v0``): each object whose centroid enters the pocket earns
    ``1 + max(0, 1.5 - t/1000)`` with ``t`` the underlying steps since reset (paper eq. 9),
    summed over the action repeat. ``reward="sparse"`` (``ShapeHerdSparse-v0`` and the BBS
    variants): 1 per object, the reward of VSG's released runs.

    ## Starting State
    Agent and distractors uniform in the interior left of the goal column; objects uniform in
    the left 70 % of the interior with uniform angle, shape and colour; each body's centre is
    drawn from its box shrunk by the body's bounding radius, and no two bodies overlap
    (rejection sampling). Everything is drawn from ``reset(seed=...)``.

    ## Episode End
    Terminated when every object is in the pocket; truncated after 750 agent steps
    (3,000 underlying steps at ``frame_skip=4``) by the registered ``TimeLimit``.

    ## Info
    Every entry has a fixed shape (so vector envs can stack them), objects indexed by their
    spawn slot ``0..num_objects-1``: ``agent_position`` (2,), ``object_in_play`` (n,) bool,
    ``object_positions`` (n, 2) centroids and ``object_angles`` (n,) radians (NaN once an
    object has scored), ``object_kinds`` (n,) index into ``wmenvs.shapeherd.world.SHAPE_NAMES``
    (outlines in ``SHAPES``, centred at the centroid), ``objects_remaining`` (int),
    ``objects_scored`` (int), ``goal_rect`` (x_min, y_min, x_max, y_max) in world units,
    ``success`` (all objects in).

    ## Arguments
    ``reward`` ("dense" | "sparse"), ``frame_skip`` (4; 1 allowed), ``num_objects`` (1-8),
    ``num_distractors`` (0-8), ``arena_scale`` (1.0-2.0; BBS variants 1.0/1.2/1.4/1.6),
    ``agent_elasticity`` (0-1: 1.0 as the paper says, the default and ``ShapeHerd[Sparse]-v0``;
    0.0 as the released BBS code, which never set it, in the ``ShapeHerdBBS-*`` IDs),
    ``view_size`` (250), ``obs_size`` (64), ``render_width`` (400 pixels for the full-arena
    frame of ``render_mode="rgb_array"``/``"human"``).

    ## Version History
    v0 deviations from the BBS code (all deliberate, see ``docs/shapeherd.md``):

    * seeded: all randomness from ``reset(seed)``; BBS used unseeded ``np.random``/``secrets``.
    * the force acts at the centre of mass; BBS applied it at world point (x, x), spinning the agent.
    * the agent's elasticity is 1.0 as the paper says; BBS never set it (0), and VSG's released
      scores were produced with 0: the ``ShapeHerdBBS-*`` IDs keep 0 (``agent_elasticity``).
    * an object scores when its centroid passes x >= pocket + 5; BBS tested the body origin,
      a polygon corner for triangle/square/rectangle. Bodies are centred at their centroid.
    * dense reward per object as in the paper; BBS paid the bonus once per scoring step.
    * the observation shows the current state; BBS drew the frame one physics step before it,
      returned the previous episode's last frame after reset, and drew contact points.
    * no overlaps at spawn (BBS placed bodies without checks, objects could start in walls);
      the spawn box is shrunk by each body's radius, and the agent and distractors never start
      in the goal column (BBS put the agent there in 17.7 % of resets).
    * the agent is a plain disc: BBS drew a radius line on it (its heading).
    * the goal-column rule (a body entering it is put back with -0.3 x its velocity) is applied
      after the physics step, so no observed state has the agent inside the pocket column, and
      bounces only a body moving into the column (in this order BBS's bounce of any velocity
      traps the agent at the goal blocks; in BBS's order it does not).
    * walls are drawn (141, 151, 151), the colour BBS's frames show.
    * the frame is drawn with OpenCV straight at 64x64 (anti-aliased) instead of pygame at
      250x250 + bilinear resize: same geometry and palette. The whole env runs at ~5,300 agent
      steps/s on 2 cores (benchmarks/RESULTS.md); the spec puts the original near 100.
    * ``render_mode="rgb_array"`` gives the full arena with the agent's window outlined.
    """

    metadata = {"render_modes": ["rgb_array", "human"], "render_fps": 15}

    def __init__(self, reward: str = "dense", frame_skip: int = 4, num_objects: int = 5,
                 num_distractors: int = 0, arena_scale: float = 1.0, view_size: float = 250.0,
                 obs_size: int = 64, render_width: int = 400, render_mode: str | None = None,
                 agent_elasticity: float = 1.0):
        if reward not in REWARDS:
            raise ValueError(f"reward={reward!r}; expected one of {REWARDS}")
        _check_int("frame_skip", frame_skip, 1, 16)
        _check_int("num_objects", num_objects, 1, 8)
        _check_int("num_distractors", num_distractors, 0, 8)
        _check_int("obs_size", obs_size, 8, 512)
        _check_int("render_width", render_width, 32, 4096)
        if not 1.0 <= float(arena_scale) <= 2.0:
            raise ValueError(f"arena_scale={arena_scale!r}; expected a number in [1.0, 2.0]")
        if isinstance(agent_elasticity, bool) or not isinstance(agent_elasticity, (int, float)) \
                or not 0.0 <= agent_elasticity <= 1.0:
            raise ValueError(f"agent_elasticity={agent_elasticity!r}; expected a number in [0, 1]")
        if not 50.0 <= float(view_size) <= 250.0:
            raise ValueError(f"view_size={view_size!r}; expected a number in [50, 250]")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode={render_mode!r}; expected one of {self.metadata['render_modes']}")
        self.reward_type, self.frame_skip = reward, int(frame_skip)
        self.num_objects, self.num_distractors = int(num_objects), int(num_distractors)
        self.arena = Arena(float(arena_scale))
        self.agent_elasticity = float(agent_elasticity)
        self.view_size, self.obs_size, self.render_width = float(view_size), int(obs_size), int(render_width)
        self.render_mode = render_mode
        self.observation_space = spaces.Box(0, 255, (self.obs_size, self.obs_size, 3), np.uint8)
        self.action_space = spaces.Box(-1.0, 1.0, (2,), np.float32)
        self._world: World | None = None
        self._t = 0
        self._scored = 0
        self._window = None

    # ------------------------------------------------------------------ Gymnasium API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if options:
            raise ValueError(f"ShapeHerd takes no reset options; got {sorted(options)}")
        self._world = World(self.arena, self.agent_elasticity)
        spawn_episode(self._world, self.np_random, self.num_objects, self.num_distractors)
        self._t, self._scored = 0, 0
        if self.render_mode == "human":
            self.render()
        return self._observation(), self._info()

    def step(self, action):
        if self._world is None:
            raise RuntimeError("call reset() before step()")
        a0, a1 = validate_box_action(action, self.action_space).tolist()
        angle, magnitude = math.pi * (a0 + 1.0), MAX_MAGNITUDE / 2 * (a1 + 1.0)
        force = (FORCE_SCALE * magnitude * math.cos(angle), FORCE_SCALE * magnitude * math.sin(angle))
        reward, env_steps = 0.0, 0
        for env_steps in range(1, self.frame_skip + 1):
            self._t += 1
            scored = self._world.step(force, self.np_random)
            if scored:
                self._scored += scored
                reward += scored * (dense_object_reward(self._t) if self.reward_type == "dense" else 1.0)
            if not self._world.objects:
                break
        terminated = not self._world.objects
        if self.render_mode == "human":
            self.render()
        return self._observation(), reward, terminated, False, self._info(env_steps)

    def render(self):
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode to gym.make")
            return None
        if self._world is None:
            raise RuntimeError("call reset() before render()")
        full = arena_view(self._world, self.render_width)
        frame = draw_world(self._world, full)
        draw_view_outline(frame, full, agent_view(self._world, self.view_size, self.obs_size))
        if self.render_mode == "rgb_array":
            return frame
        self._show(frame)
        return None

    def close(self):
        if self._window is not None:
            import pygame

            pygame.display.quit()
            self._window = None

    # ------------------------------------------------------------------ helpers
    def _observation(self) -> np.ndarray:
        return draw_world(self._world, agent_view(self._world, self.view_size, self.obs_size))

    def _info(self, env_steps: int = 0) -> dict:
        """The info dict; ``env_steps``: simulator steps of this call (0 after reset)."""
        remaining = len(self._world.objects)
        return {
            "env_steps": env_steps,
            "agent_position": self._world.agent_position(),
            "object_in_play": self._world.object_in_play(),
            "object_positions": self._world.object_positions(),
            "object_angles": self._world.object_angles(),
            "object_kinds": self._world.object_kinds(),
            "objects_remaining": remaining,
            "objects_scored": self._scored,
            "goal_rect": np.array(self.arena.goal_rect, dtype=np.float64),
            "success": remaining == 0,
        }

    def _show(self, frame: np.ndarray) -> None:
        import pygame  # only human mode touches a display

        if self._window is None:
            pygame.display.init()
            pygame.display.set_caption("wmenvs ShapeHerd")
            self._window = pygame.display.set_mode((frame.shape[1], frame.shape[0]))
            self._clock = pygame.time.Clock()
        pygame.event.pump()
        self._window.blit(pygame.surfarray.make_surface(frame.swapaxes(0, 1)), (0, 0))
        pygame.display.flip()
        self._clock.tick(self.metadata["render_fps"])

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_window"] = None  # a window does not pickle; the copy opens its own
        state.pop("_clock", None)
        return state


def _check_int(name: str, value, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name}={value!r}; expected an integer in [{low}, {high}]")
