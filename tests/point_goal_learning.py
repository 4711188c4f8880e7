"""The learning check shared by the continuous agents' tests: train on the 1-D point task of
``toy_envs`` through the real loop and return the final evaluation (10 episodes), after
checking that a random policy scores far below what a learner reaches (about -15 vs -2)."""

from toy_envs import make_point_goal
from wmagents.agents.random_agent import RandomAgent
from wmagents.harness.loop import LoopConfig, evaluate, train


def train_point_goal(agent, run_dir, budget: int) -> dict:
    result = train(agent, make_point_goal, 0, LoopConfig(budget=budget, eval_every=budget // 3,
                                                         eval_episodes=10), run_dir)
    env = make_point_goal()
    random_score = evaluate(RandomAgent(env.observation_space, env.action_space, seed=0),
                            make_point_goal(), 0, 10, 0)["mean_return"]
    print("point goal: random", random_score, "curve",
          [p["mean_return"] for p in result.eval_points])
    assert random_score < -8
    return result.final
