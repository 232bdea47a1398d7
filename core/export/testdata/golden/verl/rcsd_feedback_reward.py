"""Reward function of an rcsd self-distillation run on verl (lasgroup/SDPO).

Written by rcsd export --target verl. A self-distillation run needs no
reward: SDPO builds the teacher's prompt from the "feedback" that each
rollout's reward returns (reward_extra_info["feedback"], read by
ray_trainer._collect_feedback). This function returns the row's rendered
privileged block (extra_info["privileged_context"]: the rubric and the
reference answer as the teacher sees them) as that feedback, and a score
of 0 so that no rollout is taken as a successful demonstration.
"""


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    extra_info = extra_info or {}
    return {"score": 0.0, "feedback": extra_info.get("privileged_context", "")}
