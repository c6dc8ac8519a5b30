#!/usr/bin/env bash
# Checks the deployment files (Dockerfile.node, packaging/systemd, packaging/examples, packaging/prometheus,
# packaging/grafana) against the
# programs they run, without a Docker engine or a running systemd. Prints each check; exits 1 on any
# mismatch, with a closing "packaging: N passed, N failed".
# Usage: scripts/check-packaging.sh
# Needs the built programs: $MESHPORTS_NODE and $MESHPORTS_COORDINATOR (scripts/test.sh exports them),
# else artifacts/bin/; and the node's publish output, $MESHPORTS_NODE_PUBLISH or artifacts/publish/node
# (scripts/build.sh makes all of them); promtool (Debian package prometheus) and systemd-analyze (Debian
# package systemd, not started), both installed by scripts/lib/deps.sh.
# The checks run small bash -c snippets whose $1 is meant for the inner shell:
# shellcheck disable=SC2016
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

node=${MESHPORTS_NODE:-artifacts/bin/meshports-node}
coordinator=${MESHPORTS_COORDINATOR:-artifacts/bin/meshports-coordinator}
publish=${MESHPORTS_NODE_PUBLISH:-artifacts/publish/node}
dockerfile=Dockerfile.node
node_unit=packaging/systemd/meshports-node@.service
coord_unit=packaging/systemd/meshports-coordinator.service

passed=0 failed=0
ok() { echo "ok:   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
note() { echo "note: $*"; }
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds.
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# Logical lines: backslash continuations joined, comment lines dropped (as Docker and bash read them).
logical() {
  awk '
    /^[[:space:]]*#/ { next }
    { s = $0
      if (s ~ /\\[[:space:]]*$/) { sub(/\\[[:space:]]*$/, "", s); buf = buf s " "; next }
      buf = buf s; print buf; buf = "" }
    END { if (buf != "") print buf }' "$1" | tr -s ' \t' '  ' | sed 's/^ //; s/ $//'
}
# has_word TEXT WORD: WORD (an option like --join-file) appears in TEXT as a whole word.
has_word() { grep -qE -- "(^|[^[:alnum:]-])$2([^[:alnum:]-]|$)" <<<"$1"; }
# options TEXT: every --option token in TEXT, once each.
options() { grep -oE -- '(^|[[:space:]"'\''])--[a-z][a-z0-9-]*' <<<"$1" | sed 's/^[[:space:]"'\'']*//' | sort -u; }

help_of() { # help_of BINARY ARGS...: its help text, or empty when it cannot run
  [[ -x $1 ]] || return 0
  "$@" 2>&1 || true
}

for prog in "$node" "$coordinator"; do
  if [[ ! -x $prog ]]; then
    bad "$prog is not built; run scripts/build.sh (or set MESHPORTS_NODE / MESHPORTS_COORDINATOR)"
  fi
done
up_help=$(help_of "$node" up --help)
coord_help=$(help_of "$coordinator" --help)
[[ -x $node ]] && check "meshports-node up --help prints the up usage" grep -q 'Usage: meshports-node up' <<<"$up_help"
[[ -x $coordinator ]] && check "meshports-coordinator --help prints its usage" grep -qi 'usage: meshports-coordinator' <<<"$coord_help"

# check_options WHERE TEXT HELP HELPNAME: every --option in TEXT is one HELP documents.
check_options() {
  local where=$1 text=$2 help=$3 helpname=$4 opt missing=()
  [[ -n $help ]] || return 0
  while read -r opt; do
    [[ -n $opt ]] || continue
    has_word "$help" "$opt" || missing+=("$opt")
  done < <(options "$text")
  if ((${#missing[@]})); then
    bad "$where: ${missing[*]} not in \`$helpname\`"
  else
    ok "$where: options $(options "$text" | tr '\n' ' ')are all in \`$helpname\`"
  fi
}

echo "== $dockerfile"
docker_lines=$(logical "$dockerfile")
# build.sh runs each publish through its step function (step NAME COMMAND...): compare the command itself.
build_lines=$(logical scripts/build.sh | sed -E 's/^ *step ("[^"]*"|[^ ]+) //')

# 1. The image builds the node exactly as scripts/build.sh does, so CI exercises the same command.
build_cmd=$(grep -E '^dotnet publish node/MeshPorts.Node/MeshPorts.Node.csproj .*PublishAot=true' <<<"$build_lines")
docker_cmd=$(grep -E '^RUN ' <<<"$docker_lines" | sed -E 's/^RUN( --[a-z]+=[^ ]+)* //' | sed 's/ && /\n/g' \
  | sed 's/^ *//; s/ *$//' | grep -E '^dotnet publish ')
if [[ $(grep -c . <<<"$build_cmd") -ne 1 ]]; then
  bad "scripts/build.sh: expected one NativeAOT node publish command, found: ${build_cmd:-none}"
elif [[ $(grep -c . <<<"$docker_cmd") -ne 1 ]]; then
  bad "$dockerfile: expected one dotnet publish command, found: ${docker_cmd:-none}"
elif [[ $build_cmd == "$docker_cmd" ]]; then
  ok "publish command is the same as scripts/build.sh's: $build_cmd"
else
  bad "publish command differs from scripts/build.sh's:"$'\n'"  build.sh:   $build_cmd"$'\n'"  Dockerfile: $docker_cmd"
fi

# 2. Every COPY source exists: the build context's in the repository, the build stage's in the publish output.
workdir=$(grep -E '^WORKDIR ' <<<"$docker_lines" | head -1 | awk '{print $2}')
out_dir=$(grep -oE -- ' -o [^ ]+' <<<"$docker_cmd" | awk '{print $2}')
while read -r line; do
  [[ -n $line ]] || continue
  read -ra words <<<"$line"
  from="" srcs=()
  for w in "${words[@]:1}"; do
    case $w in
      --from=*) from=${w#--from=} ;;
      --*) ;;
      *) srcs+=("$w") ;;
    esac
  done
  unset 'srcs[${#srcs[@]}-1]' # the last word is the destination
  for src in "${srcs[@]}"; do
    if [[ -z $from ]]; then
      if compgen -G "${src%/}" >/dev/null; then
        ok "COPY $src: in the repository"
      else
        bad "COPY $src: no such file in the repository"
      fi
    else
      rel=${src#"${workdir%/}/"}
      if [[ $rel != "$out_dir"/* ]]; then
        bad "COPY --from=$from $src: not under the publish output $workdir/$out_dir"
      elif [[ ! -d $publish ]]; then
        bad "COPY --from=$from $src: no publish output in $publish to look in; run scripts/build.sh"
      elif [[ -e $publish/${rel#"$out_dir"/} ]]; then
        ok "COPY --from=$from $src: $publish/${rel#"$out_dir"/} exists"
      else
        bad "COPY --from=$from $src: $publish/${rel#"$out_dir"/} is not in the publish output"
      fi
    fi
  done
done < <(grep -E '^COPY ' <<<"$docker_lines")

# The build context holds everything the node's build reads: the root files MSBuild and the SDK pick up
# on their own, and every project the node references, transitively.
context_srcs=$(grep -E '^COPY ' <<<"$docker_lines" | grep -v -- '--from=' | awk '{ for (i = 2; i < NF; i++) print $i }')
for f in global.json Directory.Build.props Directory.Packages.props .editorconfig NuGet.config nuget.config Directory.Build.targets; do
  if [[ -e $f ]]; then
    check "build context has ./$f (read implicitly by the build)" grep -qx -- "$f" <<<"$context_srcs"
  fi
done
queue=(node/MeshPorts.Node/MeshPorts.Node.csproj) seen=""
while ((${#queue[@]})); do
  proj=${queue[0]} queue=("${queue[@]:1}")
  [[ " $seen " == *" $proj "* ]] && continue
  seen+=" $proj"
  covered=false
  while read -r src; do [[ $src == */ && $proj == "$src"* ]] && covered=true; done <<<"$context_srcs"
  check "build context has $proj (the node's project references)" $covered
  while read -r ref; do
    [[ -n $ref ]] && queue+=("$(realpath -m --relative-to=. "$(dirname "$proj")/$ref")")
  done < <(grep -oE '<ProjectReference Include="[^"]+"' "$proj" 2>/dev/null | sed -E 's/.*Include="([^"]+)"/\1/; s#\\#/#g')
done

# 3. Lint basics (hadolint's DL3006/DL3007, DL3020, DL3009/DL3015, DL3000, DL3025 and friends).
while read -r _ image _; do
  if [[ $image =~ @sha256:[0-9a-f]{64}$ ]]; then
    ok "FROM $image: pinned by digest"
  elif [[ ${image##*/} == *:* && ${image##*:} != latest ]]; then
    ok "FROM $image: tagged (release and distribution), not :latest"
  else
    bad "FROM $image: give an explicit tag (not :latest) or a digest"
  fi
done < <(grep -E '^FROM ' <<<"$docker_lines" | sed -E 's/ --platform=[^ ]+//')
check "no ADD (COPY for files; no downloads of URLs at build time)" \
  bash -c '! grep -qE "^ADD " <<<"$1"' _ "$docker_lines"
check "apt-get install uses -y --no-install-recommends and removes /var/lib/apt/lists in the same RUN" \
  bash -c 'l=$(grep "apt-get install" <<<"$1"); [[ -n $l ]] && ! grep -v -- "--no-install-recommends" <<<"$l" | grep -q . \
    && ! grep -v -- " -y " <<<"$l" | grep -q . && ! grep -v "rm -rf /var/lib/apt/lists" <<<"$l" | grep -q .' _ "$docker_lines"
check "no apt-get upgrade, no sudo" bash -c '! grep -qE "apt-get (dist-)?upgrade|(^| )sudo " <<<"$1"' _ "$docker_lines"
check "WORKDIR is absolute" bash -c '! grep -E "^WORKDIR " <<<"$1" | grep -qvE "^WORKDIR /"' _ "$docker_lines"
check "# syntax=docker/dockerfile:1 (RUN --mount needs BuildKit)" grep -qE '^# syntax=docker/dockerfile:1' "$dockerfile"
check "USER is stated, with why root and which capabilities" \
  bash -c 'grep -qE "^USER " "$1" && grep -qiE "^#.*root.*(cap-add|capabilit)" "$1" && grep -qE "^#.*--cap-add NET_ADMIN" "$1"' _ "$dockerfile"
check "ENTRYPOINT is exec form and runs meshports-node" grep -qE '^ENTRYPOINT \["[^"]*/meshports-node"\]$' <<<"$docker_lines"
check "CMD is exec form" grep -qE '^CMD \[' <<<"$docker_lines"
check "VOLUME keeps /var/lib/meshports (the identity)" grep -qE '^VOLUME .*"?/var/lib/meshports"?' <<<"$docker_lines"
# The documented run line: the comment block's `docker run ... IMAGE up ...`.
# shellcheck disable=SC1003 # the sed address matches a line that does not end with a backslash
run_line=$(sed -n '/^#[[:space:]]*docker run/,/^#.*[^\\]$/p' "$dockerfile" | sed 's/^#[[:space:]]*//' | tr -d '\\' | tr -s ' \n' '  ')
for want in "--cap-add NET_ADMIN" "--device /dev/net/tun" ":/var/lib/meshports" "up --join-file /run/secrets/join"; do
  check "documented run line has '$want'" grep -qF -- "$want" <<<"$run_line"
done
check_options "documented run line (up options)" " ${run_line#* up }" "$up_help" "meshports-node up --help"
if docker buildx version >/dev/null 2>&1; then
  if out=$(docker buildx build --check -f "$dockerfile" . 2>&1); then ok "docker buildx build --check"; else bad "docker buildx build --check:"$'\n'"$out"; fi
else
  note "docker buildx build --check not run: $(docker --version 2>/dev/null || echo 'no docker CLI'), no buildx plugin and no engine here"
fi

echo "== systemd units"
# unit_value UNIT KEY: the values of KEY (all of its lines, space-joined).
unit_value() { grep -E "^$2=" "$1" | sed "s/^$2=//" | tr '\n' ' ' | sed 's/ $//'; }
# unit_has UNIT KEY WORD...: KEY's value holds every WORD.
unit_has() { local u=$1 k=$2 v w; shift 2; v=" $(unit_value "$u" "$k") "; for w in "$@"; do [[ $v == *" $w "* ]] || return 1; done; }

if command -v systemd-analyze >/dev/null; then
  # verify needs the ExecStart binary to exist: a copy of each unit runs the built one instead.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  for pair in "$node_unit:$node:meshports-node@mp0.service" "$coord_unit:$coordinator:meshports-coordinator.service"; do
    IFS=: read -r unit prog name <<<"$pair"
    if [[ ! -x $prog ]]; then bad "systemd-analyze verify $unit: $prog is not built"; continue; fi
    sed "s|^ExecStart=/usr/local/bin/[^ ]*|ExecStart=$(readlink -f "$prog")|" "$unit" >"$tmp/$name"
    if out=$(systemd-analyze verify "$tmp/$name" 2>&1) && [[ -z $out ]]; then
      ok "systemd-analyze verify $unit (as $name): no warnings"
    else
      bad "systemd-analyze verify $unit:"$'\n'"$out"
    fi
  done
else
  bad "systemd-analyze is not installed: the units are not verified; install the Debian package systemd (scripts/lib/deps.sh does; it is not started)"
fi

for unit in "$node_unit" "$coord_unit"; do
  for section in Unit Service Install; do
    check "$unit has [$section]" grep -qx "\[$section\]" "$unit"
  done
  check "$unit: Type=simple (the programs stay in the foreground)" unit_has "$unit" Type simple
  check "$unit: Restart=on-failure" unit_has "$unit" Restart on-failure
  check "$unit: RestartPreventExitStatus=2 (a usage error does not restart)" unit_has "$unit" RestartPreventExitStatus 2
  check "$unit: KillSignal=SIGTERM (clean down)" unit_has "$unit" KillSignal SIGTERM
  for hard in "NoNewPrivileges yes" "ProtectSystem strict" "ProtectHome yes" "PrivateTmp yes" "RestrictNamespaces yes" \
    "SystemCallArchitectures native" "LockPersonality yes"; do
    # shellcheck disable=SC2086 # "KEY VALUE" splits on purpose
    check "$unit: ${hard/ /=}" unit_has "$unit" $hard
  done
  check "$unit: ExecStart runs /usr/local/bin/meshports-*" grep -qE '^ExecStart=/usr/local/bin/meshports-(node|coordinator) ' "$unit"
  check "$unit: WantedBy=multi-user.target" unit_has "$unit" WantedBy multi-user.target
done

exec_node=$(unit_value "$node_unit" ExecStart)
check "node: ExecStart is 'meshports-node up --ifname %i --join-file /etc/meshports/%i.join'" \
  grep -qF '/meshports-node up --ifname %i --join-file /etc/meshports/%i.join' <<<"$exec_node"
check_options "node: ExecStart" "$exec_node" "$up_help" "meshports-node up --help"
check "node: EnvironmentFile=-/etc/meshports/%i.env and \$MESHPORTS_OPTS in ExecStart" \
  bash -c '[[ $(grep -E "^EnvironmentFile=" "$1") == "EnvironmentFile=-/etc/meshports/%i.env" && $2 == *" \$MESHPORTS_OPTS"* ]]' _ "$node_unit" "$exec_node"
check "node: DeviceAllow=/dev/net/tun rw with DevicePolicy=closed" \
  bash -c 'grep -qx "DeviceAllow=/dev/net/tun rw" "$1" && grep -qx "DevicePolicy=closed" "$1" && ! grep -q "^PrivateDevices=yes" "$1"' _ "$node_unit"
check "node: CapabilityBoundingSet has CAP_NET_ADMIN (TUN, rtnetlink, SO_MARK)" unit_has "$node_unit" CapabilityBoundingSet CAP_NET_ADMIN
check "node: RestrictAddressFamilies allows AF_UNIX AF_INET AF_INET6 AF_NETLINK" \
  unit_has "$node_unit" RestrictAddressFamilies AF_UNIX AF_INET AF_INET6 AF_NETLINK
# The directories the daemon uses, read from the help and the code, must be the unit's.
if grep -q '/var/lib/meshports/IFNAME' <<<"$up_help"; then
  check "node: StateDirectory=meshports holds up's default state dir /var/lib/meshports/IFNAME" unit_has "$node_unit" StateDirectory meshports
else
  bad "node: \`up --help\` no longer says the state dir is /var/lib/meshports/IFNAME; update StateDirectory="
fi
for const in 'node/MeshPorts.Node/LocalControl/ControlServer.cs:DefaultDirectory' 'node/MeshPorts.Node/Uapi/UapiServer.cs:DefaultSocketDirectory'; do
  file=${const%%:*} name=${const##*:}
  dir=$(grep -oE "$name = \"/var/run/[a-z]+\"" "$file" 2>/dev/null | grep -oE '/var/run/[a-z]+')
  if [[ -z $dir ]]; then
    bad "node: cannot find $name in $file to compare with RuntimeDirectory="
  else
    check "node: RuntimeDirectory= has ${dir#/var/run/} ($dir, from $file)" unit_has "$node_unit" RuntimeDirectory "${dir#/var/run/}"
  fi
done
check "node: MemoryDenyWriteExecute=yes (NativeAOT: no JIT)" unit_has "$node_unit" MemoryDenyWriteExecute yes
check "node: RuntimeDirectoryPreserve=yes (other instances and wireguard-go share /run/wireguard)" unit_has "$node_unit" RuntimeDirectoryPreserve yes

exec_coord=$(unit_value "$coord_unit" ExecStart)
check_options "coordinator: ExecStart" "$exec_coord" "$coord_help" "meshports-coordinator --help"
data=$(grep -oE -- '--data [^ ]+' <<<"$exec_coord" | awk '{print $2}')
check "coordinator: --data $data is its StateDirectory" unit_has "$coord_unit" StateDirectory "${data#/var/lib/}"
if [[ -n $coord_help ]]; then
  check "coordinator: --data is the default the help names" grep -qF "default $data" <<<"$coord_help"
fi
check "coordinator: a user of its own (DynamicUser=yes or User=)" bash -c 'grep -qE "^(DynamicUser=yes|User=[a-z])" "$1"' _ "$coord_unit"
check "coordinator: no capabilities (CapabilityBoundingSet= empty)" grep -qx 'CapabilityBoundingSet=' "$coord_unit"
check "coordinator: no MemoryDenyWriteExecute=yes (the JIT needs it off)" bash -c '! grep -q "^MemoryDenyWriteExecute=yes" "$1"' _ "$coord_unit"

echo "== examples"
for f in packaging/examples/*.env; do
  # The live line and the commented alternatives alike.
  text=$(grep -E '^#?MESHPORTS(_COORDINATOR)?_OPTS=' "$f" | sed 's/^#//')
  if grep -q '^MESHPORTS_COORDINATOR_OPTS=' <<<"$text"; then
    check_options "$f" "$text" "$coord_help" "meshports-coordinator --help"
  else
    check_options "$f" "$text" "$up_help" "meshports-node up --help"
  fi
  var=$(grep -oE '^MESHPORTS[A-Z_]*_OPTS' "$f" | head -1)
  check "$f: sets \$${var:-MESHPORTS_OPTS}, which a unit's ExecStart uses" \
    bash -c '[[ -n $1 && $2 == *"\$$1"* ]]' _ "$var" "$exec_node $exec_coord"
done
check "packaging/examples/mp0.join exists (the unit's --join-file)" test -f packaging/examples/mp0.join
if [[ -f docs/deploy.md ]]; then
  # Every `meshports-node up ...` line in the guide uses real options.
  check_options "docs/deploy.md (meshports-node up lines)" "$(grep -oE 'meshports-node up .*' docs/deploy.md)" "$up_help" "meshports-node up --help"
  check_options "docs/deploy.md (meshports-coordinator lines)" "$(grep -oE 'meshports-coordinator --.*' docs/deploy.md)" "$coord_help" "meshports-coordinator --help"
fi

echo "== monitoring (packaging/prometheus, packaging/grafana)"
rules=packaging/prometheus/meshports-alerts.yml
rules_test=packaging/prometheus/meshports-alerts.test.yml
prom_example=packaging/prometheus/prometheus.example.yml
dashboard=packaging/grafana/meshports-dashboard.json
# Where the node's metric names come from: its metrics code (a directory: names read from its *.cs files) or a list.
node_metrics_from=node/MeshPorts.Node/Metrics
coord_src=coordinator/MeshPorts.Coordinator

if command -v promtool >/dev/null; then
  if out=$(promtool check rules "$rules" 2>&1); then ok "promtool check rules $rules"; else bad "promtool check rules $rules:"$'\n'"$out"; fi
  if out=$(cd "$(dirname "$rules_test")" && promtool test rules "$(basename "$rules_test")" 2>&1); then
    ok "promtool test rules $rules_test (each alert fires on its series, the others stay quiet)"
  else
    bad "promtool test rules $rules_test:"$'\n'"$out"
  fi
  # promtool opens the files the config names (rules, the bearer token file) relative to it: check a copy
  # beside the rules and a stand-in token, as it would sit in /etc/prometheus.
  prom_dir=$(mktemp -d)
  cp "$prom_example" "$prom_dir/prometheus.yml"
  cp "$(dirname "$prom_example")/meshports-alerts.yml" "$prom_dir/"
  printf 'stand-in\n' >"$prom_dir/meshports-metrics-token"
  if out=$(promtool check config "$prom_dir/prometheus.yml" 2>&1); then ok "promtool check config $prom_example"; else bad "promtool check config $prom_example:"$'\n'"$out"; fi
  rm -rf "$prom_dir"
else
  bad "promtool is not installed: the alert rules and the example config are not checked; install the Debian package prometheus (scripts/lib/deps.sh does)"
fi

# The dashboard: valid JSON, a datasource variable every panel and query uses, unique panel ids; its expressions
# printed one a line (Grafana's variables replaced by values PromQL accepts) for the checks below.
if dash_exprs=$(python3 - "$dashboard" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
problems = []
if not 36 <= d.get("schemaVersion", 0) <= 41:
    problems.append("schemaVersion %r is not 36..41" % d.get("schemaVersion"))
if not any(v.get("type") == "datasource" and v.get("query") == "prometheus" for v in d.get("templating", {}).get("list", [])):
    problems.append("no Prometheus datasource variable")
ids = [p["id"] for p in d["panels"]]
if len(ids) != len(set(ids)):
    problems.append("panel ids repeat")
exprs = []
for p in d["panels"]:
    if p.get("type") == "row":
        continue
    if p.get("datasource", {}).get("uid") != "${datasource}":
        problems.append("panel %r does not use ${datasource}" % p.get("title"))
    if not p.get("targets"):
        problems.append("panel %r has no query" % p.get("title"))
    for t in p.get("targets", []):
        if t.get("datasource", {}).get("uid") != "${datasource}":
            problems.append("a query of panel %r does not use ${datasource}" % p.get("title"))
        exprs.append(t["expr"].replace("$__rate_interval", "5m").replace("$node", ".*"))
if problems:
    print("; ".join(problems))
    sys.exit(1)
print("\n".join(exprs))
PY
); then
  ok "$dashboard: JSON, schemaVersion, a datasource variable every query uses, unique panel ids"
else
  bad "$dashboard: ${dash_exprs:-not valid JSON}"
  dash_exprs=""
fi
[[ -n ${tmp:-} ]] || { tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT; }
if [[ -n $dash_exprs ]] && command -v promtool >/dev/null; then
  # promtool has no expression check of its own: each query becomes a recording rule, which it parses.
  {
    echo "groups:"
    echo "  - name: dashboard"
    echo "    rules:"
    i=0
    while read -r e; do
      i=$((i + 1))
      printf '      - record: dashboard:q%d\n        expr: %s\n' "$i" "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$e")"
    done <<<"$dash_exprs"
  } >"$tmp/dashboard-rules.yml"
  if out=$(promtool check rules "$tmp/dashboard-rules.yml" 2>&1); then ok "$dashboard: every query is valid PromQL"; else bad "$dashboard: a query is not valid PromQL:"$'\n'"$out"; fi
fi

# Every metric name the rules and the dashboard use is one a program serves.
if [[ -d $node_metrics_from ]]; then
  node_names=$(cat "$node_metrics_from"/*.cs | grep -oE 'meshports_node_[a-z0-9_]+' | sort -u)
else
  node_names=$(grep -vE '^(#|$)' "$node_metrics_from" | sort -u)
fi
used=$( (grep -E '^\s*expr:' "$rules"; echo "$dash_exprs") | grep -oE 'meshports_[a-z0-9_]+' | sort -u)
for name in $used; do
  if grep -rqE --include='*.cs' "\"$name\"" "$coord_src"; then
    ok "metric $name: served by the coordinator ($coord_src)"
  elif grep -qx "$name" <<<"$node_names"; then
    ok "metric $name: served by the node ($node_metrics_from)"
  else
    bad "metric $name (in $rules or $dashboard): neither the coordinator ($coord_src) nor the node ($node_metrics_from) serves it"
  fi
done

echo
echo "packaging: $passed passed, $failed failed"
((failed == 0))
