# shellcheck shell=bash disable=SC2154  # $demo_tmp, $RECALL: set by the caller
# Shared by scripts/demo (`make run`) and scripts/demo-seed-console: the demo
# practice, its BAA, the 1,000 synthetic patients, the vendors and the local
# file channel. Sourced, not run. Synthetic data only.
#
# Expects: $RECALL (the binary) and $RECALL_DATA (the data directory) set,
# `set -euo pipefail` in the caller, and $demo_tmp a private temporary folder.
# Sets: $practice (the demo practice's id).

demo_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" | head -1; }

# The demo practice: the data directory's first practice, else created with its BAA (showing on
# the way that an import before the BAA is refused). Sets $practice.
demo_practice() {
  practice=$("$RECALL" --json practice list | grep -o '"practice_id":"[^"]*"' | head -1 | demo_field practice_id || true)
  if [ -n "$practice" ]; then
    echo "practice: $practice (already set up, BAA on file)"
    return 0
  fi
  practice=$("$RECALL" --json practice add --name "Maple Family Dental" \
    --address "1 Main St, Springfield, IL 62701" --phone "(217) 555-0100" \
    --email-from "Maple Family Dental <office@maple-dental.example>" \
    --timezone America/Chicago --state IL | demo_field practice_id)
  echo "practice: $practice"
  echo "An import before the BAA is recorded is refused:"
  "$RECALL" synth patients --rows 3 --seed 7 > "$demo_tmp/tiny.csv"
  "$RECALL" import csv --practice "$practice" "$demo_tmp/tiny.csv" || echo "(refused, exit $?)"
  echo "Business Associate Agreement between Maple Family Dental and the outreach service (synthetic demo document)" \
    > "$demo_tmp/baa.txt"
  "$RECALL" --json baa record --practice "$practice" --signed-by "Dana Whitlock, Practice Manager" \
    --signed-on 2026-11-01 --document "$demo_tmp/baa.txt"
}

# 1,000 synthetic patients (seed 1, with the export's SMS/Email consent
# columns: about three in four contacts say Y, which becomes a `care` grant).
# Importing again updates the same patients.
demo_import_patients() {
  "$RECALL" synth patients --rows 1000 --seed 1 --consent-columns > "$demo_tmp/export.csv"
  head -2 "$demo_tmp/export.csv" | cut -c1-160
  "$RECALL" --json import csv --practice "$practice" "$demo_tmp/export.csv"
}

# True when the demo practice has at least one patient.
demo_has_patients() {
  "$RECALL" --json patient list --practice "$practice" --limit 1 | grep -q '"patient_id"'
}

# A vendor with a BAA for every channel named that has none yet (e.g. sms email rvm).
demo_vendors() {
  local listed ch
  listed=$("$RECALL" --json vendor list --practice "$practice")
  echo "Business Associate Agreement with the channel provider (synthetic demo document)" > "$demo_tmp/vendor-baa.txt"
  for ch in "$@"; do
    if ! grep -q "\"channel\":\"$ch\"" <<< "$listed"; then
      "$RECALL" --json vendor add --practice "$practice" --name "Demo $ch gateway" --channel "$ch" \
        --baa-signed-on 2026-11-01 --baa-document "$demo_tmp/vendor-baa.txt" > /dev/null
      echo "vendor: Demo $ch gateway (BAA signed 2026-11-01)"
    fi
  done
}

# The practice's dispatch settings and a local file channel: every practice and
# channel writes to $RECALL_DATA/outbox-files, a folder a person can read
# (docs/channels.md: smtp, kannel, twilio and rvm for real vendors).
demo_channels() {
  "$RECALL" --json practice settings set --practice "$practice" \
    --json '{"public_base_url":"https://outreach.maple-dental.example","send_window":"08:00-20:00","average_visit_value":185}' > /dev/null
  local dir
  dir=$(cd "$RECALL_DATA" && pwd)/outbox-files
  cat > "$RECALL_DATA/channels.json" <<JSON
{"transports": [{"practice": "*", "channel": "*", "type": "file", "dir": "$dir",
                 "rate_per_second": 1000, "burst": 1000}]}
JSON
  echo "channels: $RECALL_DATA/channels.json -> $dir/"
}
