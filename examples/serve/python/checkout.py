#!/usr/bin/env python3
"""A checkout till talking to `xinyi serve` (docs/serve.md), with Debian's python3-requests and
python3-websocket only.

    python3 checkout.py --url http://127.0.0.1:9465 --token-file /etc/xinyi/api.token

It waits for the next card tap or code scan, shows the decision and the citizen text, confirms the
use once the sale is paid (retrying with the same Idempotency-Key is safe), and follows the event
stream, resuming from the last event it saw after a dropped connection. One JSON line per step on
stdout, so that a test (test/integration/serve-clients.e2e.test.ts) can follow it.
"""
import argparse
import json
import sys
import uuid

import requests
import websocket


def step(name, **fields):
    print(json.dumps({"step": name, **fields}, ensure_ascii=False), flush=True)


class Till:
    def __init__(self, url, token):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Bearer " + token
        self.token = token

    def post(self, path, body, key):
        # The same key on a retry: the service answers what it answered first, never decides twice.
        for attempt in range(3):
            try:
                r = self.session.post(self.url + path, json=body, headers={"Idempotency-Key": key}, timeout=60)
                break
            except requests.ConnectionError:
                if attempt == 2:
                    raise
        payload = r.json()
        if r.status_code >= 400:
            raise RuntimeError("%s %s: %s" % (r.status_code, payload["error"]["code"], payload["error"]["message"]))
        return payload, r.headers.get("Idempotent-Replayed") == "true"

    def events(self, since=None):
        ws_url = self.url.replace("http", "ws", 1) + "/v1/events/ws"
        if since is not None:
            ws_url += "?since=" + since
        ws = websocket.create_connection(ws_url, header=["Authorization: Bearer " + self.token], timeout=30)
        hello = json.loads(ws.recv())
        if hello.get("type") == "error":
            raise RuntimeError(hello["error"]["code"])
        return ws, hello

    @staticmethod
    def next_event(ws, kind, decision_id=None):
        while True:
            event = json.loads(ws.recv())
            if event.get("type") == kind and (decision_id is None or event["data"].get("id") == decision_id):
                return event


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--wait-ms", type=int, default=30000)
    args = parser.parse_args()
    with open(args.token_file, encoding="ascii") as f:
        till = Till(args.url, f.read().strip())

    ws, hello = till.events()
    step("connected", epoch=hello["epoch"], lastSeq=hello["lastSeq"])

    step("waiting")
    decision, _ = till.post("/v1/present", {"wait": {"timeoutMs": args.wait_ms}}, str(uuid.uuid4()))
    step("decision", id=decision["id"], outcome=decision["outcome"], citizen=decision["explanation"]["citizen"],
         masked=(decision.get("subject") or {}).get("masked"))

    event = till.next_event(ws, "decision", decision["id"])
    step("event", seq=event["seq"], id=event["id"])

    # The sale is paid: confirm the use. The till retries after a timeout with the same key.
    key = str(uuid.uuid4())
    used, _ = till.post("/v1/decisions/%s/confirm-use" % decision["id"], {}, key)
    again, replayed = till.post("/v1/decisions/%s/confirm-use" % decision["id"], {}, key)
    step("confirmed", usesCounted=used["usesCounted"], retried=again["usesCounted"], replayed=replayed)

    # The connection drops; a decision is made meanwhile; the till resumes from its last event.
    last_id = event["id"]
    ws.close()
    missed, _ = till.post("/v1/present", {"credential": {"kind": "barcode", "text": "MEMBER-PY-1"}}, str(uuid.uuid4()))
    ws, _ = till.events(since=last_id)
    resumed = till.next_event(ws, "decision")
    step("resumed", seq=resumed["seq"], id=resumed["data"]["id"], missed=missed["id"])
    ws.close()


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 - one line for the operator, exit code 1
        step("failed", error=str(error))
        sys.exit(1)
