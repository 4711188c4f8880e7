"""An agent adapter that builds fine and fails on its 50th observed step (runner tests)."""

from wmagents.agents.random_agent import make_agent as make_random


class CrashLater:
    def __init__(self, agent):
        self.agent, self.config, self.steps = agent, agent.config, 0

    def reset(self, explore):
        return self.agent.reset(explore)

    def act(self, obs, state, explore):
        return self.agent.act(obs, state, explore)

    def observe(self, transition):
        self.steps += 1
        if self.steps == 50:
            raise RuntimeError("agent died at step 50")
        return {}

    def state_dict(self):
        return self.agent.state_dict()

    def load_state_dict(self, state):
        self.agent.load_state_dict(state)


def make_agent(observation_space, action_space, *, seed, device, overrides):
    return CrashLater(make_random(observation_space, action_space, seed=seed, device=device,
                                  overrides=overrides))
