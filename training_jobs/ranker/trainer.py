"""Fit a Wide & Deep (or a wide-only / deep-only baseline) with early stopping on
validation AUC, checkpointing the best weights; CPU by default, CUDA when present."""

from __future__ import annotations

import sys

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from nabiyam.recsys.features import INPUT_NAMES
from training_jobs.ranker.metrics import auc, choice_probability
from training_jobs.ranker.model import WideDeep

TENSOR_KEYS = INPUT_NAMES  # the ONNX graph's inputs, in order


@dataclass
class FitResult:
    model: WideDeep
    best_auc: float
    best_epoch: int
    epochs_run: int
    examples_per_s: float
    history: list[dict]


def _tensors(arrays: dict[str, np.ndarray], device: torch.device) -> dict[str, torch.Tensor]:
    return {k: torch.as_tensor(arrays[k]).to(device) for k in TENSOR_KEYS}


def _groups(train: dict[str, np.ndarray]) -> np.ndarray:
    """Rows of each session as a (G, W) index matrix padded with -1 (W = largest group)."""
    session = train["session"]
    if len(session) == 0:
        return np.zeros((0, 1), dtype=np.int64)
    order = np.argsort(session, kind="stable")
    s = session[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    sizes = np.diff(np.r_[starts, len(s)])
    out = np.full((len(starts), int(sizes.max())), -1, dtype=np.int64)
    for j in range(out.shape[1]):
        has = sizes > j
        out[has, j] = order[starts[has] + j]
    return out


def _query_per_group(query_ids: np.ndarray, groups: np.ndarray) -> bool:
    """Whether every group's rows carry the same query (the rows of one session do: it is
    their request), so the trainer may embed it once per group."""
    if len(groups) == 0:
        return False
    first = query_ids[groups[:, 0]]
    for j in range(1, groups.shape[1]):
        has = groups[:, j] >= 0
        if not (query_ids[groups[has, j]] == first[has]).all():
            return False
    return True


def batch_inputs(t: dict[str, torch.Tensor], block: torch.Tensor, query_once: bool
                 ) -> tuple[dict[str, torch.Tensor], torch.Tensor | None]:
    """One batch's model inputs from a (groups, W) block of row indices (−1 padded) and the
    `query_index` for `WideDeep.logits`: with `query_once`, each group's query once (column 0
    is always a real row) and the rows' index into them; otherwise the query per row, None."""
    valid = block >= 0
    idx = block[valid]
    inputs = {k: t[k][idx] for k in TENSOR_KEYS if k != "query_ids"}
    if not query_once:
        inputs["query_ids"] = t["query_ids"][idx]
        return inputs, None
    inputs["query_ids"] = t["query_ids"][block[:, 0]]
    group_of = torch.arange(len(block), device=block.device).unsqueeze(1)
    return inputs, group_of.expand_as(block)[valid]


def _early_stopping_rows(val: dict[str, np.ndarray], max_rows: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Whole validation sessions, sampled down to about `max_rows` rows: early stopping needs
    a stable AUC, not every row, and scoring 200k rows per epoch dominates CPU training."""
    n = len(val["label"])
    if n <= max_rows:
        return val
    sessions = np.unique(val["session"])
    keep = rng.choice(sessions, size=max(1, int(len(sessions) * max_rows / n)), replace=False)
    mask = np.isin(val["session"], keep)
    return {k: v[mask] for k, v in val.items()}


@torch.no_grad()
def predict(model: WideDeep, arrays: dict[str, np.ndarray], device: torch.device, batch: int = 8192) -> np.ndarray:
    model.eval()
    n = len(arrays["label"])
    out = np.empty(n, dtype=np.float32)
    t = _tensors(arrays, device)
    for a in range(0, n, batch):
        out[a : a + batch] = model(*(t[k][a : a + batch] for k in TENSOR_KEYS)).float().cpu().numpy()
    return out


def fit(
    train: dict[str, np.ndarray],
    val: dict[str, np.ndarray],
    sizes: dict[str, int],
    *,
    epochs: int = 12,
    batch_size: int = 2048,
    lr: float = 4e-3,
    weight_decay: float = 1e-5,
    patience: int = 3,
    use_wide: bool = True,
    use_deep: bool = True,
    seed: int = 0,
    checkpoint: Path | None = None,
    progress: bool = True,
    label: str = "ranker",
    oov_rate: float = 0.05,
    dropout: float = 0.4,
    max_val_rows: int = 60_000,
    listwise: float = 1.0,
    l2_taste: float = 0.005,
    l2_user: float = 1e-3,
    bce: float = 1.0,
    no_choice: bool = True,
    person_coefs: bool = True,
    l2_coef: float = 0.005,
) -> FitResult:
    """BCE per row, plus (weight `listwise`) a conditional-logit loss per session group: the
    chosen shop against the sampled shown-not-chosen ones. Under a multinomial-logit choice,
    sampling alternatives keeps that loss consistent (McFadden), so it learns utilities the
    way people choose; BCE anchors their level."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    stop_val = _early_stopping_rows(val, max_val_rows, rng)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = WideDeep(sizes, use_wide=use_wide, use_deep=use_deep, dropout=dropout,
                     person_coefs=person_coefs).to(device)
    dense = [p for name, p in model.named_parameters() if not name.startswith("query.")]
    opts = [torch.optim.Adam(dense, lr=lr, weight_decay=weight_decay),
            torch.optim.SparseAdam([model.query.weight], lr=lr)]  # the n-gram table's sparse rows
    loss_fn = nn.BCEWithLogitsLoss(reduction="none")
    t = _tensors(train, device)
    y = torch.as_tensor(train["label"]).float().to(device)
    n_rows = len(y)
    in_bce = torch.as_tensor(~train.get("context_only", np.zeros(n_rows, bool))).float().to(device)
    log_w = torch.as_tensor(train.get("log_weight", np.zeros(n_rows, np.float32))).float().to(device)
    n = len(y)
    groups = torch.as_tensor(_groups(train)).to(device)  # (G, W) row indices, -1 padded
    per_group = max(1, batch_size // groups.shape[1])
    shared_query = _query_per_group(train["query_ids"], groups.cpu().numpy())
    best, best_epoch, best_state, history = -1.0, 0, None, []
    seen, train_time, epoch = 0, 0.0, 0
    for epoch in range(1, epochs + 1):
        model.train()
        gperm = groups[torch.as_tensor(rng.permutation(len(groups))).to(device)]
        started = time.perf_counter()
        steps = range(0, len(gperm), per_group)
        if progress:
            from tqdm import tqdm

            steps = tqdm(steps, desc=f"{label} epoch {epoch}", unit="batch", leave=False, disable=not sys.stderr.isatty())
        total = 0.0
        for a in steps:
            block = gperm[a : a + per_group]
            valid = block >= 0
            idx = block[valid]
            inputs, query_index = batch_inputs(t, block, shared_query)  # a session's query once
            if oov_rate > 0:  # teach the shared out-of-vocabulary rows: unknown users/shops at serving
                for key in ("user_id", "shop_id"):
                    drop = torch.rand(len(idx), device=device) < oov_rate
                    inputs[key] = torch.where(drop, torch.zeros_like(inputs[key]), inputs[key])
            for opt in opts:
                opt.zero_grad()
            z = model.logits(*(inputs[k] for k in TENSOR_KEYS), query_index=query_index)
            w_bce = in_bce[idx]
            loss = bce * (loss_fn(z, y[idx]) * w_bce).sum() / w_bce.sum().clamp(min=1.0)
            if listwise > 0:
                # the session's (sampled) shown set plus the "nothing" option at logit 0
                zg = torch.full(block.shape, float("-inf"), device=device, dtype=z.dtype)
                zg[valid] = z + log_w[idx]
                yg = torch.zeros(block.shape, device=device, dtype=z.dtype)
                yg[valid] = y[idx]
                if no_choice:
                    zg = torch.cat([zg, torch.zeros_like(zg[:, :1])], dim=1)
                    yg = torch.cat([yg, (yg.sum(1, keepdim=True) == 0).to(yg.dtype)], dim=1)
                has = yg.sum(1) > 0
                if has.any():
                    logp = torch.log_softmax(zg[has], dim=1)
                    loss = loss + listwise * -(logp * yg[has]).nan_to_num(0.0).sum(1).mean()
            if model.use_deep and (l2_taste > 0 or l2_user > 0 or l2_coef > 0):
                taste, user, coef = model.taste_penalty(inputs["user_id"], inputs["category_id"])
                loss = loss + l2_taste * taste + l2_user * user + l2_coef * coef
            loss.backward()
            for opt in opts:
                opt.step()
            total += float(loss.detach()) * len(idx)
        train_time += time.perf_counter() - started
        seen += n
        # the evaluation's own measure: choice probabilities within each shown set, pooled
        val_auc = (auc(stop_val["label"] > 0.5, choice_probability(predict(model, stop_val, device), stop_val["session"]))
                   if len(stop_val["label"]) else float("nan"))
        history.append({"epoch": epoch, "loss": round(total / max(n, 1), 5), "val_auc": round(val_auc, 5)})
        if progress:
            print(f"  {label} epoch {epoch}: loss {total / max(n, 1):.4f}  val AUC {val_auc:.4f}", flush=True)
        if val_auc > best or np.isnan(val_auc):
            best, best_epoch = val_auc, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            if checkpoint is not None:
                torch.save(best_state, checkpoint)
        elif epoch - best_epoch >= patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return FitResult(model.cpu(), best, best_epoch, epoch, seen / max(train_time, 1e-9), history)


@dataclass
class FactorFit:
    model: nn.Module          # Ensemble(members, factors)
    k: int
    lam: float
    val_auc_before: float
    val_auc_after: float
    grid: list[dict]
    seconds: float


def _listwise_nll(z: torch.Tensor, groups: torch.Tensor, y: torch.Tensor, log_w: torch.Tensor) -> torch.Tensor:
    """Σ over sessions of −log P(chosen) under a softmax over the session's rows (+ log_w, the
    sampling correction) and "nothing" at logit 0; `groups` is (G, W) row indices, −1 padded."""
    valid = groups >= 0
    idx = groups.clamp(min=0)
    zg = torch.where(valid, z[idx] + log_w[idx], torch.full_like(z[idx], float("-inf")))
    yg = torch.where(valid, y[idx], torch.zeros_like(z[idx]))
    zg = torch.cat([zg, torch.zeros_like(zg[:, :1])], dim=1)
    yg = torch.cat([yg, (yg.sum(1, keepdim=True) == 0).to(yg.dtype)], dim=1)
    logp = torch.log_softmax(zg, dim=1)
    return -(logp * yg).nan_to_num(0.0).sum()


def fit_factors(
    members: list[WideDeep],
    train: dict[str, np.ndarray],
    val: dict[str, np.ndarray],
    sizes: dict[str, int],
    *,
    ks: tuple[int, ...] = (2, 3),
    lams: tuple[float, ...] = (5.0,),  # 10 was 0.0003 behind on small (seed 0); two fits, not four
    max_iter: int = 150,
    seed: int = 0,
    max_val_rows: int = 60_000,
    progress: bool = True,
) -> FactorFit:
    """Stage 2 of the deep part: with the Wide & Deep members frozen, fit `CollabFactors` by
    MAP — the sessions' conditional-logit likelihood (the same listwise loss, sampling
    correction and "nothing" option as `fit`) plus λ·Σ factor² — with full-batch L-BFGS.
    Done jointly by SGD the factors memorise ~25 choices per person within an epoch; a
    full-batch MAP with a prior (λ) is the classic, stable way to fit them. Rank k and λ are
    picked on the early-stopping rows' choice AUC (the evaluation's measure)."""
    from training_jobs.ranker.model import CollabFactors, Ensemble

    started = time.perf_counter()
    base = Ensemble(members).eval()
    rng = np.random.default_rng(seed)
    stop_val = _early_stopping_rows(val, max_val_rows, rng)
    cpu = torch.device("cpu")
    with torch.no_grad():
        z_train = torch.as_tensor(_logits(base, train))
        z_val = torch.as_tensor(_logits(base, stop_val))
    y = torch.as_tensor(train["label"]).float()
    log_w = torch.as_tensor(train.get("log_weight", np.zeros(len(y), np.float32))).float()
    groups = torch.as_tensor(_groups(train))
    ids = {k: torch.as_tensor(train[k]) for k in ("user_id", "shop_id", "brand_id")}
    val_ids = {k: torch.as_tensor(stop_val[k]) for k in ("user_id", "shop_id", "brand_id")}
    val_y = stop_val["label"] > 0.5

    def val_auc(extra: torch.Tensor) -> float:
        z = (z_val + extra).numpy().astype(np.float64)
        return auc(val_y, choice_probability(1.0 / (1.0 + np.exp(-z)), stop_val["session"]))

    before = val_auc(torch.zeros_like(z_val))
    best: tuple[float, CollabFactors | None, int, float] = (before, None, 0, 0.0)
    grid = []
    for k in ks:
        for lam in lams:
            torch.manual_seed(seed + k)
            factors = CollabFactors(sizes, k).to(cpu)
            opt = torch.optim.LBFGS(factors.parameters(), lr=1.0, max_iter=max_iter, history_size=20,
                                    line_search_fn="strong_wolfe", tolerance_grad=1e-6, tolerance_change=1e-9)

            def closure() -> torch.Tensor:
                opt.zero_grad()
                f = factors(ids["user_id"], ids["shop_id"], ids["brand_id"])
                loss = _listwise_nll(z_train + f, groups, y, log_w) + lam * factors.penalty()
                loss.backward()
                return loss

            opt.step(closure)
            with torch.no_grad():
                a = val_auc(factors(val_ids["user_id"], val_ids["shop_id"], val_ids["brand_id"]))
            grid.append({"k": k, "lambda": lam, "val_auc": round(a, 5)})
            if progress:
                print(f"  factors k={k} λ={lam}: val AUC {a:.4f} (without {before:.4f})", flush=True)
            if a > best[0]:
                best = (a, factors, k, lam)
    auc_after, factors, k, lam = best
    return FactorFit(Ensemble(members, factors).eval(), k, lam, before, auc_after, grid,
                     time.perf_counter() - started)


@torch.no_grad()
def _logits(model: nn.Module, arrays: dict[str, np.ndarray], batch: int = 16384) -> np.ndarray:
    model.eval()
    n = len(arrays["label"])
    out = np.empty(n, dtype=np.float32)
    t = {k: torch.as_tensor(arrays[k]) for k in TENSOR_KEYS}
    for a in range(0, n, batch):
        out[a : a + batch] = model.logits(*(t[k][a : a + batch] for k in TENSOR_KEYS)).float().numpy()
    return out
