#!/bin/sh
# Run by telemetry.tf: patches the NRN the scope type is registered at so the platform
# sends its log:read and metric:* requests to the scope's channel. Reads NP_CLI, NRN,
# BODY, TIMEOUT_SECONDS and NP_API_KEY (which np authenticates with) from the environment.

if ! command -v "$NP_CLI" >/dev/null 2>&1; then
  echo "❌ the nullplatform CLI ($NP_CLI) was not found: the NRN $NRN was not patched, so log:read and metric:* would never reach the scope"
  echo "💡 the install module routes telemetry to the scope's channel with 'np nrn patch', run where tofu runs"
  echo "🔧 install np (https://docs.nullplatform.com/docs/cli/) or set np_cli to its path, then apply again; or set route_telemetry_to_scope = false and run the telemetry_nrn_patch_command output yourself"
  exit 1
fi

# Bounded where coreutils' timeout exists (not on every macOS).
if command -v timeout >/dev/null 2>&1; then
  answer=$(timeout "$TIMEOUT_SECONDS" "$NP_CLI" nrn patch --nrn "$NRN" --body "$BODY" --format json 2>&1)
else
  answer=$("$NP_CLI" nrn patch --nrn "$NRN" --body "$BODY" --format json 2>&1)
fi
status=$?
if [ "$status" -ne 0 ]; then
  echo "❌ np nrn patch --nrn $NRN failed (exit $status): $answer"
  echo "💡 the API key cannot write the NRN, the API was unreachable, or the call took more than $TIMEOUT_SECONDS s (exit 124)"
  echo "🔧 check np_api_key's grants on $NRN ('np nrn read --nrn $NRN --format json'), then apply again"
  exit 1
fi
echo "✅ the scope type's telemetry goes to its channel: $BODY at $NRN"
