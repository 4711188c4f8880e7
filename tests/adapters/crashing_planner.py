"""A planner adapter that fails on reacher and finishes at once elsewhere (runner tests)."""

from dataclasses import dataclass


@dataclass
class Config:
    pass


class Idle:
    config = Config()

    def __init__(self, env):
        self.action_space = env.action_space

    def reset(self, explore):
        return None

    def act(self, obs, state, explore):
        return self.action_space.low * 0, state

    def timing(self):
        return {"seconds_per_action": 0.0, "cpu_seconds_per_action": 0.0}


def make_planner(env, *, seed, overrides):
    if env.unwrapped.domain == "reacher":
        raise RuntimeError("planner died")
    return Idle(env)
