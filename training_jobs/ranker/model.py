"""Wide & Deep in PyTorch, with the seed's layout: a linear wide part over the 50 wide
features, and a deep MLP over user(64) / shop(64) / brand(16) / category(16) embeddings,
the semantic query (128, mean of hashed character n-gram embeddings, inside the graph) and
the 10 numerical features. The deep part also sees the wide features, so it can learn
interactions such as "this user minds distance", and holds a per-person × category term
(a random-effects affinity, L2-shrunk by the trainer toward 0 = the population) because a
person's category taste adds to the utility directly, and a per-person coefficient vector on
a few wide columns (random coefficients: how much this person minds km, price, spice...). Row 0 of every id table is the shared
out-of-vocabulary row."""

from __future__ import annotations

import torch
from torch import nn

from nabiyam.recsys.features import NUM_DIM, WIDE_DIM
from nabiyam.recsys.text import QUERY_BUCKETS

EMB = {"user": 64, "shop": 64, "brand": 16, "category": 16, "query": 128}
# Wide columns whose weight differs per person in the world's utility (time-of-day habit ×
# category lift, good shop, km, price over budget, spicy share): the per-person coefficient
# term multiplies them by an L2-shrunk person vector (random coefficients, as in a mixed logit).
PERSON_COEF_COLS = (2, 7, 30, 31, 32)


class Dropout(nn.Module):
    """Inverted dropout drawn with `rand_like`: the same as `nn.Dropout`, but torch's CPU
    `bernoulli_` behind it took a quarter of a training step (4.8 ms against 1.3 ms for a
    2048 × 256 mask, measured). Identity in eval mode, so the exported graph has no trace of it.

    >>> Dropout(0.4).eval()(torch.ones(2)).tolist()
    [1.0, 1.0]
    """

    def __init__(self, p: float):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        return x * (torch.rand_like(x) >= self.p).to(x.dtype) * (1.0 / (1.0 - self.p))


class WideDeep(nn.Module):
    def __init__(self, sizes: dict[str, int], hidden: tuple[int, ...] = (256, 128, 64), dropout: float = 0.1,
                 use_wide: bool = True, use_deep: bool = True, person_coefs: bool = True):
        super().__init__()
        if not (use_wide or use_deep):
            raise ValueError("a model needs the wide part, the deep part or both")
        # deep-only (a baseline) keeps the deep part away from the wide features too
        self.use_wide, self.use_deep, self.deep_sees_wide = use_wide, use_deep, use_wide
        self.wide = nn.Linear(WIDE_DIM, 1)
        self.user = nn.Embedding(sizes["users"], EMB["user"])
        self.shop = nn.Embedding(sizes["shops"], EMB["shop"])
        self.brand = nn.Embedding(sizes["brands"], EMB["brand"])
        self.category = nn.Embedding(sizes["categories"], EMB["category"])
        # sparse gradients: a step touches a few hundred of the 16k n-gram rows, so the trainer
        # updates only those (SparseAdam) instead of the whole 2M-value table (~17 % of a step)
        self.query = nn.Embedding(QUERY_BUCKETS + 1, EMB["query"], padding_idx=0, sparse=True)
        for emb in (self.user, self.shop, self.brand, self.category):
            nn.init.normal_(emb.weight, std=0.01)
        nn.init.normal_(self.query.weight, std=0.01)
        self.user_category = nn.Embedding(sizes["users"], sizes["categories"])
        nn.init.zeros_(self.user_category.weight)
        self.person_coefs = person_coefs
        self.user_coef = nn.Embedding(sizes["users"], len(PERSON_COEF_COLS))
        nn.init.zeros_(self.user_coef.weight)
        self.register_buffer("coef_cols", torch.tensor(PERSON_COEF_COLS, dtype=torch.long), persistent=False)
        with torch.no_grad():
            self.query.weight[0].zero_()
        layers: list[nn.Module] = []
        width = sum(EMB.values()) + NUM_DIM + (WIDE_DIM if self.deep_sees_wide else 0)
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, 1))
        self.deep = nn.Sequential(*layers)

    def logits(self, wide: torch.Tensor, numerical: torch.Tensor, user_id: torch.Tensor, shop_id: torch.Tensor,
               brand_id: torch.Tensor, category_id: torch.Tensor, query_ids: torch.Tensor,
               query_index: torch.Tensor | None = None) -> torch.Tensor:
        """Logit per row. With `query_index` (training), `query_ids` holds each distinct query
        once and row r uses query `query_index[r]`: a session's rows share its request, so the
        trainer embeds it once per session, not once per shown shop (and the sparse gradient
        of the n-gram table shrinks as much). The ONNX graph has no `query_index`."""
        out = torch.zeros(wide.shape[0], device=wide.device, dtype=wide.dtype)
        if self.use_wide:
            out = out + self.wide(wide).squeeze(-1)
        if self.use_deep:
            # row 0 (padding) is zero and never trained (padding_idx), so a plain sum is the sum
            # over the real n-grams: no [batch, QUERY_LEN, 128] mask product (half a step's CPU)
            count = (query_ids > 0).sum(1, keepdim=True).to(wide.dtype).clamp(min=1.0)
            q = self.query(query_ids).sum(1) / count
            if query_index is not None:
                q = q[query_index]
            parts = [self.user(user_id), self.shop(shop_id), self.brand(brand_id), self.category(category_id), q, numerical]
            x = torch.cat(parts + [wide] if self.deep_sees_wide else parts, dim=-1)
            out = out + self.deep(x).squeeze(-1)
            out = out + self.user_category(user_id).gather(1, category_id.unsqueeze(-1)).squeeze(-1)
            if self.person_coefs:
                out = out + (self.user_coef(user_id) * wide.index_select(1, self.coef_cols)).sum(-1)
        return out

    def taste_penalty(self, user_id: torch.Tensor, category_id: torch.Tensor
                      ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Mean squared size of the rows' person embeddings, person × category terms and person
        coefficients (the L2 prior that keeps ~30 choices per person from being memorised)."""
        zero = torch.zeros((), device=user_id.device)
        if not self.use_deep:
            return zero, zero, zero
        taste = self.user_category(user_id).gather(1, category_id.unsqueeze(-1)).squeeze(-1)
        coef = self.user_coef(user_id).pow(2).sum(-1).mean() if self.person_coefs else zero
        return taste.pow(2).mean(), self.user(user_id).pow(2).sum(-1).mean(), coef

    def forward(self, wide: torch.Tensor, numerical: torch.Tensor, user_id: torch.Tensor, shop_id: torch.Tensor,
                brand_id: torch.Tensor, category_id: torch.Tensor, query_ids: torch.Tensor) -> torch.Tensor:
        """Choice probability per row (the ONNX graph's single output `score`)."""
        return torch.sigmoid(self.logits(wide, numerical, user_id, shop_id, brand_id, category_id, query_ids))


class CollabFactors(nn.Module):
    """The collaborative part of the deep side: a low-rank person × shop term
    ``user_f[u] · (shop_f[s] + brand_f[b])``. It learns what no feature records — a shop's
    hidden character and each person's taste for it — from who chose which shop; a chain's
    shops share the brand's factors, so a new branch starts from its brand. Row 0 of each
    table (the out-of-vocabulary id) contributes nothing, so unknown users and shops get 0.
    Fitted after the Wide & Deep by `trainer.fit_factors` (MAP, full-batch L-BFGS)."""

    def __init__(self, sizes: dict[str, int], k: int):
        super().__init__()
        self.k = k
        self.user_f = nn.Embedding(sizes["users"], k)
        self.shop_f = nn.Embedding(sizes["shops"], k)
        self.brand_f = nn.Embedding(sizes["brands"], k)
        for emb in (self.user_f, self.shop_f, self.brand_f):
            nn.init.normal_(emb.weight, std=0.1)
            with torch.no_grad():
                emb.weight[0].zero_()

    def forward(self, user_id: torch.Tensor, shop_id: torch.Tensor, brand_id: torch.Tensor) -> torch.Tensor:
        known_u = (user_id > 0).to(self.user_f.weight.dtype).unsqueeze(-1)
        known_s = (shop_id > 0).to(self.shop_f.weight.dtype).unsqueeze(-1)
        known_b = (brand_id > 0).to(self.brand_f.weight.dtype).unsqueeze(-1)
        item = self.shop_f(shop_id) * known_s + self.brand_f(brand_id) * known_b
        return (self.user_f(user_id) * known_u * item).sum(-1)

    def penalty(self) -> torch.Tensor:
        """Σ of squared factors (the Gaussian prior's log density, up to λ)."""
        return sum(e.weight[1:].pow(2).sum() for e in (self.user_f, self.shop_f, self.brand_f))  # type: ignore[return-value]


class Ensemble(nn.Module):
    """Several Wide & Deep trained with different seeds, averaged on the logit scale, plus
    (optionally) the collaborative factors fitted on top of them: one graph (one ONNX file,
    one batched call at serving), less seed-to-seed variance."""

    def __init__(self, members: list[WideDeep], factors: CollabFactors | None = None):
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one model")
        self.members = nn.ModuleList(members)
        self.factors = factors

    def logits(self, *inputs: torch.Tensor) -> torch.Tensor:
        z = torch.stack([m.logits(*inputs) for m in self.members]).mean(0)
        if self.factors is not None:
            _, _, user_id, shop_id, brand_id, _, _ = inputs
            z = z + self.factors(user_id, shop_id, brand_id)
        return z

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(*inputs))
