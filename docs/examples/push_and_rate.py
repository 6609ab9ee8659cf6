"""Push one service record to haochaping, rate it badly, and print the rectification case.

Needs only Python 3.11 and `cryptography` (for SM3/HMAC-SM3). Usage:

    HCP_BASE=http://127.0.0.1:8000 HCP_APP_ID=hcp_... HCP_SECRET=... python push_and_rate.py
"""

import json
import os
import time
import urllib.error
import urllib.request
import uuid

from cryptography.hazmat.primitives import hashes, hmac


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def call(base: str, app_id: str, secret: str, method: str, path: str, payload=None):
    """One signed API call: X-Signature = HMAC-SM3(secret, METHOD\\nPATH\\nTS\\nNONCE\\nSM3(body))."""
    body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    timestamp, nonce = str(int(time.time() * 1000)), uuid.uuid4().hex
    canonical = "\n".join([method, path, timestamp, nonce, sm3_hex(body)]).encode()
    mac = hmac.HMAC(secret.encode(), hashes.SM3())
    mac.update(canonical)
    headers = {
        "Content-Type": "application/json",
        "X-App-Id": app_id,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": mac.finalize().hex(),
    }
    # The base URL is the operator's own server (http or https), never user input.
    request = urllib.request.Request(base + path, data=body or None, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def main(base: str, app_id: str, secret: str) -> dict:
    # 1. Reference data: a unit that has a window with staff, and one of its items.
    _, units = call(base, app_id, secret, "GET", "/api/v1/units?page_size=200")
    staff = next(s for u in units["items"] for s in u["staff"] if s["window_code"])
    unit = next(u for u in units["items"] if staff in u["staff"])
    _, items = call(base, app_id, secret, "GET", "/api/v1/items?page_size=200")
    item = next(i for i in items["items"] if i["department_code"] == unit["code"])

    # 2. Push the service record (办件). Sending it again would return the same record (200).
    project_no = "DEMO" + time.strftime("%Y%m%d%H%M%S")
    status, record = call(base, app_id, secret, "POST", "/api/v1/service-records", {
        "project_no": project_no, "service_no": 1, "stage": "2",
        "item_code": item["code"], "unit_code": unit["code"],
        "window_code": staff["window_code"], "staff_no": staff["staff_no"], "mode": "offline",
        "applicant_kind": "1", "applicant_name": "张三", "applicant_id_type": "111",
        "applicant_id_number": "410404199001011234", "applicant_phone": "13800000000",
        "accepted_at": time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.localtime(time.time() - 600)),
    })  # fmt: skip
    print("办件", status, record["id"], record["rating_url"])

    # 3. The citizen rates it 非常不满意 (1) with a reason: a rectification case opens at once.
    status, rating = call(base, app_id, secret, "POST", "/api/v1/evaluations", {
        "project_no": project_no, "service_no": 1, "level": 1, "channel": 4,
        "reasons": ["XC-XL-B01"], "text": "排队两个小时，窗口只开了一个",
        "dimensions": {"efficiency": 1, "attitude": 3},
    })  # fmt: skip
    print("评价", status, rating["level_label"], "→ 工单", rating["case"]["number"], rating["case"]["state_label"])
    return {"record": record, "rating": rating}


if __name__ == "__main__":
    main(os.environ.get("HCP_BASE", "http://127.0.0.1:8000"), os.environ["HCP_APP_ID"], os.environ["HCP_SECRET"])
