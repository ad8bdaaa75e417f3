"""People of the identity authority simulator's packaged register, as their cards read (status ``match``)."""

from __future__ import annotations

from typing import Any

# A long-term card, and a 20-year one.
WANG: dict[str, Any] = {
    "name": "王建国", "sex": "male", "ethnicity": "01", "birth_date": "1972-03-14",
    "address": "安徽省阜阳市颍州区清河路1号", "id_number": "341221197203141318",
    "issuing_authority": "阜阳市公安局颍州分局", "valid_from": "2019-05-01", "valid_to": None}
ZHANG: dict[str, Any] = {
    "name": "张伟", "sex": "male", "ethnicity": "01", "birth_date": "1985-11-23",
    "address": "河南省周口市太康县城关镇1号", "id_number": "412726198511233575",
    "issuing_authority": "太康县公安局", "valid_from": "2016-05-01", "valid_to": "2036-05-01"}
