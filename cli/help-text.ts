// What `xinyi --help` and `xinyi COMMAND --help` print, kept apart from the commands so that the help
// (and choosing a command) loads none of them: each command module is imported only when it runs.

export const DEMO_USAGE = `  xinyi demo [--date YYYY-MM-DD] [--seed S] [--people N] [--visits N] [--pace MS] [--data-dir DIR]
      A simulated day: synthetic citizens at a scenic gate, a supermarket checkout,
      a library kiosk and a hospital desk, and synthetic companies at a service window,
      a bank counter and a rental desk; decisions printed as they happen, committed
      to a decision journal and uploaded to the mock platform.
      Try --date 2026-10-03 (国庆节) to see the holiday exclusion at the gate, and
      --date 2027-01-05 for a day after the bundled official calendar (provisional days).
      --data-dir  keep the journal and the snapshot there (default: a temporary directory)`;

export const SITE_USAGE = `  xinyi sim --site DIR [--lanes N] [--redis URL] [--platform-port PORT] [--http-port PORT]
                  [--seed S] [--people N]
      A whole simulated scenic spot for \`xinyi gate\`: per lane a SAM ID-card reader, a QR scanner
      and an AA-frame gate board on socat PTYs under DIR, and the mock platform on 127.0.0.1:PORT
      (default 18080). Writes DIR/gate.json (lane 1; DIR/gate-2.json … for more lanes); run
      \`xinyi gate --config DIR/gate.json\` next to it, one daemon per lane. With --lanes N (1–16)
      the lanes share their state in DIR/site.sqlite, or in Redis at URL with --redis; the last lane
      is the exit, every lane has anti-passback, and lane K's health port is PORT+K-1.
      Commands on stdin: tap N [LANE] | code N [LANE] | screenshot LANE | people
                         | behaviour pass|no-pass|tailgate|push-back [LANE]
                         | unplug gate|id-card-reader|scanner [MS] [LANE] | platform down|up | quit
  xinyi sim --ui [--port PORT] [--scenario FILE] [--no-lane] [--site DIR] [--lanes N] [--redis URL]
                [--seed S] [--people N]
  xinyi sim --scenario FILE [--no-lane] [--site DIR]
      The same site (DIR defaults to $TMPDIR/xinyi-sim) with its gate lanes running in this process
      (the \`xinyi gate\` daemon's code; their JSON log goes to DIR/lane.log), and with --ui a control
      panel on http://127.0.0.1:PORT/ (default 7300): people, every lane, live decisions, faults.
      --scenario plays a scripted scenario (docs/simulator-panel.md); without --ui it exits when
      done, with status 1 if an expectation failed. --no-lane leaves the PTYs to your own program.
      Commands on stdin: tap N [LANE] | code N [camera|LANE] | screenshot LANE | people
                         | fault NAME on|off [MS] | revoke N [off] | unplug DEVICE [MS]
                         | clock YYYY-MM-DD|off | behaviour B | quit`;

export const SIM_USAGE = `  xinyi sim [--pty] [--tcp PORT] [--seed S] [--people N]
      A virtual ID-card reader speaking the SAM protocol byte-exactly, for any program to open:
      --pty       on a socat PTY pair (prints the path to open as a serial port, 115200 8N1)
      --tcp PORT  as a serial device server on 127.0.0.1:PORT (0 picks a free port)
      Commands on stdin: tap [N] | remove | fault KIND [ON] | people | quit
${SITE_USAGE}`;

export const GATE_USAGE = `  xinyi gate --config FILE [--check]
      The scenic-spot gate daemon: reads its ID-card reader, scanners and gate board, platform
      and policy from FILE (see examples/scenic-gate/gate.json), serves /health, /metrics and
      /diagnostics on its local HTTP port, logs one JSON line per event (no ID numbers), and
      stops cleanly on SIGTERM or SIGINT with every decision committed. Exits 3 when another
      daemon holds the same data folder or devices (their lock files name its pid).
      --check     validate FILE, print it redacted, and run every check of \`xinyi doctor\` that
                  needs no device and no running daemon: secrets resolve and are usable (a weak
                  pseudonym key, a secret file others may read, an inline secret), the policy and
                  document files, the data folder, native modules, and whether the platform and the
                  site store answer; one "problem:" line each, exit 1 when there is one`;

export const SERVE_USAGE = `  xinyi serve --config FILE [--check]
      The terminal of a till or kiosk as a local service (docs/serve.md): its ID-card reader and
      scanners, credit chain, journal and uploader from FILE (see examples/serve/serve.json), and an
      HTTP + WebSocket API under /v1 (docs/serve-api.yaml) for POS software in any language, on
      loopback, every call with the bearer token of api.tokenFile. Stops cleanly on SIGTERM or SIGINT.
      Exits 3 when another service or gate daemon holds the same data folder or devices.
      --check     validate FILE (its secrets and token file too), print it redacted, check that the
                  site store answers, and exit: 1 when something is wrong`;

export const DOCTOR_USAGE = `  xinyi doctor --config FILE [--url URL] [--timeout-ms MS]
      Checks a gate or xinyi serve installation and prints one JSON document: versions, the
      configuration (secrets redacted), whether each secret resolves, the journal (opened read-only) and
      the snapshot in its dataDir, the calendar and policy documents (a problem when the
      calendar's official arrangements end within 60 days), the serial devices, whether the
      platform and the site store answer (latency, version), and the running daemon's
      /diagnostics (at the configured http port, or URL); and the configuration's security: an
      http:// platform, an inline secret, a secret file others may read, a weak pseudonym key, a
      daemon port open beyond loopback, a simulated clock. Exit code 0 when nothing is wrong, 1 when
      something is: each problem is one line in "problems"; "warnings" are worth knowing but do not
      fail the check. Prints no secret value and no personal data.`;

export const DEVICES_USAGE = `  xinyi devices [--json]
      Lists the serial ports and HID devices this machine has and marks the ones the SDK
      recognises: USB-serial bridges that ID-card readers, serial scanners and gate boards sit
      behind (CH340, CP210x, FTDI, Prolific), and barcode scanners by vendor (Honeywell, Newland,
      Zebra, Datalogic, Youjie) or by the HID POS usage page, and ID-card readers on the SAM
      module's own USB pipes (bulk 0x02/0x06 out, 0x81/0x85 in). Works without serialport,
      node-hid or usb installed (it says so) and exits 0 whatever it finds.
      --json      print one JSON document instead of the table`;

export const SNAPSHOT_USAGE = `  xinyi snapshot apply FILE --db PATH --public-key PEMFILE [--public-key PEMFILE…] [--json]
      Verifies a signed offline credit snapshot (full or delta) against the public key(s) and
      applies it to the snapshot database at PATH (created when missing) in one transaction,
      showing progress on stderr: one updating line on a terminal, plain lines otherwise.
      A refused or failed apply leaves the previous snapshot whole (exit code 1).
      --json      print the result as JSON
  xinyi snapshot info --db PATH
      What the database holds: snapshot id, sequence, generatedAt, subject count (JSON)`;

export const CALENDAR_USAGE = `  xinyi calendar show [YEAR] [--config FILE] [--json]
      The holiday calendar: how far its official arrangements reach, which years are provisional
      (computed from the statutory rules, without make-up workdays), and each holiday period of
      YEAR (default: this year), official or provisional. With --config, the calendar the gate
      daemon of that configuration uses (its documents, verified again); without, the bundled one.
  xinyi calendar import FILE --config FILE
      Verifies a signed calendar document (with the daemon's cached trust list or the
      configuration's calendar.publicKey), refuses one older than the daemon holds, and installs it
      in the daemon's data folder; a running daemon takes it without a restart.`;

export const POLICY_USAGE = `  xinyi policy import FILE --config FILE [--json]
      Verifies a signed policy-pack document (its signature with the daemon's cached trust list or
      the configuration's policy.publicKey, its pack with loadPolicyPack), refuses one older than
      the daemon holds, and installs it in the daemon's data folder; a running daemon takes it
      without a restart and applies it from its effectiveFrom.`;

export const JOURNAL_USAGE = `  xinyi journal verify --db PATH [--secret-file FILE] [--json]
      Checks the decision journal's hash chains offline (docs/journal.md §12): every decision,
      disclosure record and benefit use hashes to its link, every link follows the previous
      one, every chain's head is its last record. With --secret-file (the terminal's platform
      secret, as the daemon reads it) every head signature is checked too. Read-only: a running
      daemon may keep writing. Exit code 1 and one line per problem when something was changed.
      --json      print the report as JSON`;
