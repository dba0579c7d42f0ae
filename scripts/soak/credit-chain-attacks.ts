/**
 * The section of docs/reliability.md on attacks against the credit chain. It is not a soak result:
 * each attack is a test, named in the table, that runs on every CI run; the generator copies the
 * section so that regenerating the document keeps it. Update it with the tests.
 */
export const CREDIT_CHAIN_ATTACKS = `## Attacks on the credit chain

The soak injects faults; these are attacks: what someone who wants a benefit they are not owed, or a
man in the middle on the terminal's network, tried, and what the terminal did. Each runs in CI, through
the real gate daemon where the attack is on the lane (\`test/integration/credit-chain.e2e.test.ts\`:
the daemon as a child process, a simulated site on PTYs, the mock platform and a tampering proxy on
loopback), and in the SDK's own tests otherwise.

| attack | outcome | test |
| --- | --- | --- |
| a revoked code while \`/v1/status-list\` answers 404 | gate shut: \`unavailable\`, \`STATUS_MISSING\`; \`/health\` degraded, alarm \`status-list-missing\` | credit-chain.e2e |
| a code revoked "now" after the status list failed (503) for 5 days, daemon and platform clocks 5 days ahead | gate shut: \`STATUS_STALE\`; alarms \`status-list-stale\` and \`platform-sync-failing\`, the list's age in \`credit.statusListAgeMs\` | credit-chain.e2e |
| a validly signed 30-day-old status list handed to a fresh terminal | gate shut: \`STATUS_STALE\`; alarm \`status-list-stale\` | credit-chain.e2e |
| a status list dated 10 years ahead (an issuer clock error) | refused (\`STATUS_LIST_NOT_YET_VALID\`), neither held nor cached; codes \`STATUS_MISSING\` meanwhile; the correct list after it is taken, no false rollback | credit-chain.e2e, platform-sync |
| a new trust list that withdraws the status-list key | the held status list is dropped at once, and from the cache; codes \`STATUS_MISSING\`; alarm | credit-chain.e2e, platform-sync |
| a code whose status index lies beyond the list (70,000 of 65,536) | gate shut: \`CODE_STATUS_INDEX_OUT_OF_RANGE\` | credit-chain.e2e, credit-code |
| an older trust list served to a fresh terminal with a floor (\`minTrustListVersion\`) | refused (\`TRUST_LIST_BELOW_FLOOR\`); alarms \`trust-list-missing\`, no code verifies; the newer list is taken | credit-chain.e2e, platform-sync |
| a code signed by the real issuer key with entitlements 0 and flags 0; with every programme but 信易游 | gate shut: \`denied\`, \`ENTITLEMENT_MISSING\`, the neutral text | credit-chain.e2e, entitlements |
| a lookup answer rewritten on the wire: tier AAA, no lists, for a black-listed citizen | refused (\`PLATFORM_RESPONSE_INVALID\`, \`SIGNATURE\`), not retried; the snapshot decides \`LIST_BLOCK\`, gate shut; the refusal kept with the decision (\`refusedAnswers\`) | credit-chain.e2e, http-platform-security |
| a trustworthy citizen's signed answer played back to a black-listed citizen's lookup, and to a later lookup of the same citizen | refused (\`SIGNATURE\`): the answer is bound to pseudonym, scene, terminal and request nonce | credit-chain.e2e, http-platform-security, lookup-answer |
| an answer stripped of its signature | refused (\`SIGNATURE_MISSING\`); the snapshot decides | credit-chain.e2e, http-platform-security |
| an answer signed with the attacker's key, or with the platform's status-list key | refused (\`UNKNOWN_KEY\`): only \`platform-response\` keys of the trust list sign answers | http-platform-security |
| a signed answer dated outside the window | refused (\`TIME\`) | http-platform-security, lookup-answer |
| one changed bit anywhere in a signed answer's body; edited, doubled or reordered signature headers | refused; 1,000 fuzz cases a CI run (\`signed-lookup-answer\`), none accepted that was not signed for that question | lookup-answer, fuzz |
| 512 MB bodies (chunked) for the delta, the status list, the trust list and a lookup; and with a truthful 512 MB \`Content-Length\` | each cut off at its limit (\`PLATFORM_RESPONSE_TOO_LARGE\`), or refused unread; the daemon's peak RSS grew at most +33–35 MB per body (the 16 MiB delta), each sender stopped before 30 MB; the lane kept deciding from the snapshot | credit-chain.e2e, http-platform-security |
| a gzip bomb (64 MB of zeros in a small body) as the trust list | counted as it inflates, cut off at 1 MiB | http-platform-security |
| a proxy that changes \`X-Xinyi-Terminal-Id\`, adds an \`X-Xinyi-*\` header, drops one, or changes or drops the \`Idempotency-Key\` of an upload | \`401 bad-signature\`; no batch stored under another key | http-platform-security, request-signing |
| a self-signed certificate; a certificate whose key matches none of the SPKI pins | refused (\`CREDIT_UNAVAILABLE\`, \`tls\`), not retried | http-platform-security |
| an \`http://\` platform beyond loopback | refused by the SDK (\`INVALID_OPTIONS\`) and the configuration (\`CONFIG_INVALID\`); with \`allowInsecureHttp\`, a warning in \`/health\` and \`xinyi doctor\` | http-platform-security, doctor-command |
| a configuration with an inline secret, a secret file readable by others, a weak pseudonym key, the daemon port on 0.0.0.0, a simulated clock against a real platform | each a problem in \`xinyi doctor\` | doctor-command |
`;
