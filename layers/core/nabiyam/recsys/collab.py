"""Item-item collaborative filtering: "users who chose what you chose".

`precompute` (run by the training job) turns user→shop interaction weights into each
shop's top-K cosine neighbours; serving loads the small .npz and scores a user's history
against every shop with one scatter-add."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

TOP_K = 50


@dataclass
class CollabModel:
    shop_ids: np.ndarray  # (n,) str
    neighbours: np.ndarray  # (n, K) int32, -1 = none
    sims: np.ndarray  # (n, K) float32

    @classmethod
    def precompute(cls, interactions: dict[str, dict[str, float]], shop_ids: list[str], top_k: int = TOP_K) -> CollabModel:
        index = {s: i for i, s in enumerate(shop_ids)}
        users = [u for u, shops in interactions.items() if shops]
        rows, cols, vals = [], [], []
        for r, u in enumerate(users):
            for s, w in interactions[u].items():
                if s in index:
                    rows.append(r)
                    cols.append(index[s])
                    vals.append(np.log1p(w))
        n = len(shop_ids)
        k = min(top_k, max(n - 1, 1))
        neighbours = np.full((n, k), -1, dtype=np.int32)
        sims = np.zeros((n, k), dtype=np.float32)
        if rows:
            m = np.zeros((len(users), n), dtype=np.float32)
            np.add.at(m, (np.array(rows), np.array(cols)), np.array(vals, dtype=np.float32))
            norms = np.linalg.norm(m, axis=0)
            norms[norms == 0] = 1.0
            mn = m / norms
            for start in range(0, n, 512):  # bounded memory: 512 rows of the n×n similarity at a time
                block = mn[:, start : start + 512].T @ mn
                for j in range(block.shape[0]):
                    block[j, start + j] = 0.0
                top = np.argsort(-block, axis=1)[:, :k]
                val = np.take_along_axis(block, top, axis=1)
                keep = val > 0
                neighbours[start : start + block.shape[0]] = np.where(keep, top, -1)
                sims[start : start + block.shape[0]] = np.where(keep, val, 0.0)
        return cls(np.array(shop_ids), neighbours, sims)

    def save(self, path: Path) -> Path:
        np.savez_compressed(path, shop_ids=self.shop_ids, neighbours=self.neighbours, sims=self.sims)
        return path

    @classmethod
    def load(cls, path: Path) -> CollabModel:
        with np.load(path, allow_pickle=False) as z:
            return cls(z["shop_ids"], z["neighbours"], z["sims"])

    def aligned_to(self, shop_ids: np.ndarray) -> CollabModel:
        """The same model re-indexed to another catalogue order (unknown shops get no neighbours)."""
        if len(shop_ids) == len(self.shop_ids) and (shop_ids == self.shop_ids).all():
            return self
        new_pos = {s: i for i, s in enumerate(shop_ids.tolist())}
        remap = np.array([new_pos.get(s, -1) for s in self.shop_ids.tolist()], dtype=np.int32)
        k = self.neighbours.shape[1]
        neighbours = np.full((len(shop_ids), k), -1, dtype=np.int32)
        sims = np.zeros((len(shop_ids), k), dtype=np.float32)
        for old, new in enumerate(remap):
            if new < 0:
                continue
            nb = self.neighbours[old]
            mapped = np.where(nb >= 0, remap[np.maximum(nb, 0)], -1)
            neighbours[new] = mapped
            sims[new] = np.where(mapped >= 0, self.sims[old], 0.0)
        return CollabModel(shop_ids, neighbours, sims)

    def scores(self, history: dict[str, float], position: dict[str, int]) -> np.ndarray:
        """Raw similarity mass from the user's history to every shop (0 for cold users)."""
        out = np.zeros(len(self.shop_ids), dtype=np.float64)
        for shop_id, weight in history.items():
            i = position.get(shop_id)
            if i is None:
                continue
            nb = self.neighbours[i]
            ok = nb >= 0
            np.add.at(out, nb[ok], np.log1p(weight) * self.sims[i][ok])
        return out
