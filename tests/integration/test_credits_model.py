"""A model-based test of a product key's credits (hypothesis' RuleBasedStateMachine): random sequences of
verifications of any cost, Unkey's increments, decrements and sets (unlimited included), and splits of the key's
counters over several items, through the local API, against one number. After every step the key's credits are the
model's, and every verification was answered as the model decides."""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

EXAMPLES = int(os.environ.get("MODEL_EXAMPLES", "10"))


class Credits(RuleBasedStateMachine):
    client, root_key, api_id = None, "", ""

    def call(self, path: str, body: dict) -> dict:
        response = self.client.post(
            path,
            headers={"Authorization": f"Bearer {self.root_key}"},
            data=json.dumps(body),
            content_type="application/json",
        )
        answer = json.loads(response.get_data())
        assert response.status_code in (200, 201), (path, body, answer)
        return answer

    @initialize(remaining=st.none() | st.integers(0, 6), shards=st.sampled_from([1, 3]))
    def new_key(self, remaining, shards):
        fields = {"api_id": self.api_id, "counter_shards": shards}
        issued = self.call("/v1/api_keys", fields | ({"remaining": remaining} if remaining is not None else {}))
        self.key, self.key_id, self.remaining = issued["data"]["key_value"], issued["data"]["api_key_id"], remaining

    @rule(cost=st.integers(0, 4))
    def verify(self, cost):
        answer = self.call("/v2/keys.verifyKey", {"key": self.key, "credits": {"cost": cost}})["data"]
        enough = self.remaining is None or self.remaining >= cost
        assert answer["code"] == ("VALID" if enough else "USAGE_EXCEEDED"), (self.remaining, cost, answer)
        if enough and self.remaining is not None:
            self.remaining -= cost

    @rule(operation=st.sampled_from(["increment", "decrement"]), value=st.integers(0, 5))
    def change(self, operation, value):
        if self.remaining is None:
            return  # a 400: there is nothing to change (test_unkey_api)
        answer = self.call("/v2/keys.updateCredits", {"keyId": self.key_id, "operation": operation, "value": value})
        self.remaining = self.remaining + value if operation == "increment" else max(0, self.remaining - value)
        assert answer["data"]["remaining"] == self.remaining

    @rule(value=st.none() | st.integers(0, 6))
    def set_credits(self, value):
        self.call("/v1/keys.updateRemaining", {"keyId": self.key_id, "op": "set", "value": value})
        self.remaining = value

    @rule(shards=st.sampled_from([1, 2, 4]))
    def split(self, shards):
        response = self.client.patch(
            f"/v1/api_keys/{self.key_id}",
            headers={"Authorization": f"Bearer {self.root_key}"},
            data=json.dumps({"counter_shards": shards}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.get_data()

    @invariant()
    def the_keys_credits_are_the_models(self):
        if hasattr(self, "key_id"):
            got = self.call("/v2/keys.getKey", {"keyId": self.key_id})["data"]
            assert got.get("credits", {}).get("remaining") == self.remaining, (got, self.remaining)


def test_credits_follow_the_model(client, world):
    api = client.post(
        "/v1/apis",
        headers={"Authorization": f"Bearer {world.keys['acme']}"},
        data=json.dumps({"name": "model"}),
        content_type="application/json",
    )
    Credits.client, Credits.root_key = client, world.keys["acme"]
    Credits.api_id = json.loads(api.get_data())["data"]["api_id"]
    Credits.TestCase.settings = settings(
        max_examples=EXAMPLES,
        derandomize="MODEL_EXAMPLES" not in os.environ,
        stateful_step_count=15,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    Credits.TestCase().runTest()
