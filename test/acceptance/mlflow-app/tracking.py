"""The MLflow tracking client against a store URL (sqlite:///… or postgresql://…).

    python tracking.py seed URL ARTIFACTS   create experiments, runs, params, metrics, tags
    python tracking.py read URL             print what the client reads back, as JSON
    python tracking.py write URL ARTIFACTS  log a new run, print what search_runs finds

Everything goes through mlflow.MlflowClient, as an application would."""
import json
import math
import sys

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType


def seed(client, artifacts):
    out = {}
    for e_i, name in enumerate(["baseline", "tuning — ünïcödé", "archived"]):
        exp = client.create_experiment(name, artifact_location=f"{artifacts}/{e_i}", tags={"team": "ml", "idx": str(e_i)})
        for r_i in range(4):
            run = client.create_run(exp, start_time=1_700_000_000_000 + r_i, tags={"variant": f"v{r_i}", "mlflow.user": "alice"}, run_name=f"run-{e_i}-{r_i}")
            rid = run.info.run_id
            client.log_param(rid, "lr", str(10 ** -(r_i + 1)))
            client.log_param(rid, "optimizer", ["adam", "sgd"][r_i % 2])
            values = [0.5 / (r_i + 1), 1 / 3, 1e-300, 123456789.123456789]
            metrics = [Metric("loss", v, 1_700_000_000_000 + s, s) for s, v in enumerate(values)]
            metrics += [Metric("acc", 0.9 + r_i / 100, 1_700_000_001_000, 0), Metric("weird", [math.nan, math.inf, -math.inf, -0.0][r_i], 1_700_000_002_000, 0)]
            client.log_batch(rid, metrics=metrics, params=[Param("epochs", str(10 * r_i))], tags=[RunTag("note", "x" * (r_i * 100))])
            if r_i == 1:
                child = client.create_run(exp, tags={"mlflow.parentRunId": rid}, run_name=f"child-{e_i}")
                client.log_metric(child.info.run_id, "loss", 0.01, step=7)
                client.set_terminated(child.info.run_id)
            client.set_terminated(rid, status=["FINISHED", "FAILED", "KILLED", "FINISHED"][r_i], end_time=1_700_000_100_000 + r_i)
            if r_i == 3 and e_i == 0:
                client.delete_run(rid)
        if name == "archived":
            client.delete_experiment(exp)
    client.create_registered_model("churn-model", tags={"stage": "dev"}, description="a model")
    out["experiments"] = len(client.search_experiments(view_type=ViewType.ALL))
    print(json.dumps(out))


def run_json(client, r):
    return {
        "id": r.info.run_id, "name": r.info.run_name, "experiment": r.info.experiment_id, "status": r.info.status,
        "start": r.info.start_time, "end": r.info.end_time, "stage": r.info.lifecycle_stage, "user": r.info.user_id,
        "params": r.data.params, "tags": r.data.tags,
        "metrics": {k: repr(v) for k, v in sorted(r.data.metrics.items())},
        "history": {k: [(m.step, m.timestamp, repr(m.value)) for m in client.get_metric_history(r.info.run_id, k)] for k in sorted(r.data.metrics)},
    }


def searches(client, exp_ids):
    filters = {
        "loss_lt": "metrics.loss < 0.2",
        "lr": "params.lr = '0.01'",
        "optimizer_like": "params.optimizer LIKE 'ad%'",
        "variant_tag": "tags.variant = 'v2'",
        "status": "attributes.status = 'FAILED'",
        "name": "attributes.run_name LIKE 'run-1-%'",
        "acc_and_param": "metrics.acc >= 0.91 AND params.epochs != '0'",
        "run_id_in": None,
    }
    out = {}
    for key, f in filters.items():
        if f is None:
            some = [r.info.run_id for r in client.search_runs(exp_ids, order_by=["attributes.start_time ASC", "attributes.run_id ASC"], max_results=2)]
            f = "attributes.run_id IN (" + ", ".join(f"'{x}'" for x in some) + ")"
        runs = client.search_runs(exp_ids, f, run_view_type=ViewType.ALL, order_by=["metrics.loss DESC", "attributes.run_id ASC"])
        out[key] = [r.info.run_id for r in runs]
    return out


def read(client):
    exps = client.search_experiments(view_type=ViewType.ALL, order_by=["experiment_id ASC"])
    ids = [e.experiment_id for e in exps]
    runs = client.search_runs(ids, run_view_type=ViewType.ALL, order_by=["attributes.run_id ASC"], max_results=1000)
    model = client.get_registered_model("churn-model")
    return {
        "experiments": [{"id": e.experiment_id, "name": e.name, "stage": e.lifecycle_stage, "tags": e.tags, "artifacts": e.artifact_location} for e in exps],
        "by_name": client.get_experiment_by_name("tuning — ünïcödé").experiment_id,
        "runs": [run_json(client, client.get_run(r.info.run_id)) for r in runs],
        "searches": searches(client, ids),
        "model": {"name": model.name, "tags": model.tags, "description": model.description},
    }


def write(client, artifacts):
    exp = client.get_experiment_by_name("baseline").experiment_id
    run = client.create_run(exp, run_name="on-postgres", tags={"where": "pg"})
    rid = run.info.run_id
    client.log_param(rid, "lr", "0.5")
    client.log_batch(rid, metrics=[Metric("loss", 0.001, 1_800_000_000_000, s) for s in range(3)])
    client.set_terminated(rid)
    new_exp = client.create_experiment("made on postgres", artifact_location=f"{artifacts}/new")
    found = [r.info.run_id for r in client.search_runs([exp], "params.lr = '0.5' AND metrics.loss < 0.01 AND tags.where = 'pg'")]
    return {"found": found == [rid], "history": len(client.get_metric_history(rid, "loss")), "new_experiment_after_loaded": int(new_exp) > max(int(e.experiment_id) for e in client.search_experiments(view_type=ViewType.ALL) if e.experiment_id != new_exp)}


if __name__ == "__main__":
    cmd, url = sys.argv[1], sys.argv[2]
    c = MlflowClient(tracking_uri=url)
    if cmd == "seed":
        seed(c, sys.argv[3])
    elif cmd == "read":
        print(json.dumps(read(c), ensure_ascii=False, sort_keys=True))
    elif cmd == "write":
        print(json.dumps(write(c, sys.argv[3])))
    else:
        raise SystemExit(f"unknown command {cmd}")
