"""Seoul districts (구) and neighbourhoods (동): the one list the world, NLU and ranker use."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EARTH_RADIUS_KM = 6_371.0
EARTH_RADIUS_M = EARTH_RADIUS_KM * 1000.0


@dataclass(frozen=True)
class District:
    name: str
    lat: float
    lon: float
    radius_km: float  # rough radius of the district, for placing shops and people
    dongs: tuple[str, ...]


# 관악구 first (launch district), then its neighbours. Centres are approximate.
DISTRICTS: dict[str, District] = {
    d.name: d
    for d in (
        District("관악구", 37.4784, 126.9516, 2.4, ("신림동", "봉천동", "남현동", "서원동", "신원동", "서림동",
                                                     "난곡동", "난향동", "조원동", "대학동", "삼성동", "미성동",
                                                     "행운동", "청룡동", "인헌동", "낙성대동", "은천동", "중앙동",
                                                     "성현동", "보라매동", "청림동")),
        District("동작구", 37.5124, 126.9393, 2.2, ("노량진동", "상도동", "흑석동", "사당동", "대방동", "신대방동")),
        District("금천구", 37.4569, 126.8955, 2.0, ("가산동", "독산동", "시흥동")),
        District("구로구", 37.4954, 126.8874, 2.4, ("구로동", "신도림동", "개봉동", "오류동", "고척동", "가리봉동")),
        District("영등포구", 37.5264, 126.8962, 2.4, ("영등포동", "여의도동", "당산동", "문래동", "양평동", "신길동", "대림동")),
        District("서초구", 37.4837, 127.0324, 3.0, ("서초동", "반포동", "방배동", "양재동", "잠원동", "내곡동")),
        District("강남구", 37.5172, 127.0473, 3.0, ("역삼동", "삼성동", "대치동", "논현동", "압구정동", "개포동")),
        District("마포구", 37.5663, 126.9019, 2.6, ("합정동", "망원동", "연남동", "서교동", "공덕동", "상암동")),
    )
}

# A dong name → its district. Where a dong name exists in two districts (삼성동), the
# launch district wins, because that is where our users are.
DONG_TO_DISTRICT: dict[str, str] = {}
for _d in reversed(list(DISTRICTS.values())):
    for _dong in _d.dongs:
        DONG_TO_DISTRICT[_dong] = _d.name


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (the one formula; `haversine_m_array` is its numpy form).

    >>> round(haversine_m(37.4784, 126.9516, 37.4784, 126.9616))
    882
    """
    return float(haversine_m_array(lat1, lon1, lat2, lon2))


def central_angle(lat1: float | np.ndarray, lon1: float | np.ndarray, lat2: float | np.ndarray,
                  lon2: float | np.ndarray) -> np.ndarray:
    """The haversine formula: the angle (radians) between two points, broadcasting over arrays."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def haversine_m_array(lat1: float | np.ndarray, lon1: float | np.ndarray, lat2: float | np.ndarray,
                      lon2: float | np.ndarray) -> np.ndarray:
    """Haversine distance in metres, broadcasting over numpy arrays."""
    return EARTH_RADIUS_M * central_angle(lat1, lon1, lat2, lon2)


def haversine_km_array(lat1: float | np.ndarray, lon1: float | np.ndarray, lat2: float | np.ndarray,
                       lon2: float | np.ndarray) -> np.ndarray:
    """Haversine distance in kilometres (the world's behaviour model counts km)."""
    return EARTH_RADIUS_KM * central_angle(lat1, lon1, lat2, lon2)
