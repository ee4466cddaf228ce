#!/usr/bin/env node
// Checks deploy/kubernetes/ (driven by kubernetes_test.sh, which installs the
// npm packages of package.json and puts them on NODE_PATH):
//   1. every manifest against the Kubernetes API schemas, twice:
//      - kubernetes-models: each object's validate() runs the official OpenAPI
//        schemas (Kubernetes 1.27) compiled by ajv: types, required fields,
//        enums, formats. Like the API server's own decoding, they allow
//        fields they do not know, so a misspelt field would pass unnoticed...
//      - ...hence kubernetes-types (Kubernetes 1.30) with the TypeScript
//        compiler: each object becomes a typed object literal, and TypeScript
//        rejects any property the type does not declare, at any depth (what
//        `kubectl apply --validate=strict` does against a live server);
//   2. the deployment policy of issue 16 (replicas, probes, grace period,
//      PodDisruptionBudget, secrets, Redis as its own Service, ...) and that
//      the manifests agree with the gateway's YAML in the ConfigMap (ports,
//      paths, environment variables);
//   3. writes, for the shell test, the gateway's YAML with the TLS paths moved
//      into OUT_DIR, and dummy values for the environment variables it needs.
//
// usage: node kubernetes_check.js MANIFEST_DIR OUT_DIR NODE_MODULES_DIR
// Prints one line per problem ("FAIL ...") and exits 1 if there is any.
"use strict";

const fs = require("fs");
const path = require("path");
const crypto = require("crypto");

const [manifestDir, outDir, nodeModules] = process.argv.slice(2);
if (!manifestDir || !outDir || !nodeModules) {
  console.error("usage: node kubernetes_check.js MANIFEST_DIR OUT_DIR NODE_MODULES_DIR");
  process.exit(2);
}
const YAML = require("yaml");

// What the gateway needs, as issue 16 sets it.
const policy = {
  gatewayName: "backup-gateway",
  redisName: "redis",
  minReplicas: 2,
  minGraceSeconds: 30, // > drain_delay (5s) + shutdown_grace (10s)
  adminPort: 9901,
  listenPort: 8443,
  servicePort: 443,
  redisPort: 6379,
  configKey: "gateway.yaml",
  notInKustomization: ["secrets.example.yaml"], // applying it would overwrite the real Secrets
};

let failures = 0;
let passes = 0;
function fail(msg) {
  failures++;
  console.log(`FAIL ${msg}`);
}
function check(cond, okMsg, failMsg) {
  if (cond) {
    passes++;
    console.log(`ok   ${okMsg}`);
  } else {
    fail(failMsg || okMsg);
  }
  return cond;
}

// ---------------------------------------------------------------- reading
const files = fs.readdirSync(manifestDir).filter((f) => /\.ya?ml$/.test(f)).sort();
const docs = []; // {file, index, obj, label}
let kustomization = null;
for (const file of files) {
  const text = fs.readFileSync(path.join(manifestDir, file), "utf8");
  // YAML 1.1, as Kubernetes reads it (sigs.k8s.io/yaml): 0440 is octal
  // there, `no` is false. Duplicate keys are errors.
  const parsed = YAML.parseAllDocuments(text, { version: "1.1", uniqueKeys: true });
  parsed.forEach((d, i) => {
    for (const e of d.errors) fail(`${file}: document ${i + 1}: invalid YAML: ${e.message}`);
    if (d.errors.length) return;
    const obj = d.toJS();
    if (obj === null || obj === undefined) return; // an empty document (a trailing ---)
    if (file === "kustomization.yaml") {
      kustomization = obj;
      return;
    }
    const name = obj && obj.metadata && obj.metadata.name;
    docs.push({ file, index: i + 1, obj, doc: d, text, label: `${file}: ${obj.kind || "?"} ${name || "?"}` });
  });
}
check(docs.length > 0, `${docs.length} objects read from ${files.length} files`, `no manifest found in ${manifestDir}`);

// ------------------------------------------------- 1a. kubernetes-models
// kubernetes-models/<apiVersion>/<Kind>, the core group as "v1".
for (const d of docs) {
  const { apiVersion, kind } = d.obj;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    fail(`${d.label}: apiVersion and kind must be strings`);
    continue;
  }
  let Model;
  try {
    Model = require(`kubernetes-models/${apiVersion}/${kind}`)[kind];
  } catch (e) {
    fail(`${d.label}: no schema for ${apiVersion} ${kind} in kubernetes-models (a typo, or an API removed?)`);
    continue;
  }
  try {
    new Model(d.obj).validate();
    check(true, `${d.label}: valid ${apiVersion} ${kind} (OpenAPI schema)`);
  } catch (e) {
    fail(`${d.label}: does not match the ${apiVersion} ${kind} schema: ${e.message}`);
  }
  // The API server also checks names (DNS-1123); the schemas do not.
  const name = d.obj.metadata && d.obj.metadata.name;
  if (typeof name !== "string" || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name) || name.length > 253)
    fail(`${d.label}: metadata.name must be a DNS-1123 name (lowercase letters, digits, '-', '.')`);
}

// ---------------------------------------- 1b. kubernetes-types + TypeScript
(function strictFields() {
  const ts = require("typescript");
  // apiVersion → the module of kubernetes-types: "v1" → core/v1,
  // "apps/v1" → apps/v1, "networking.k8s.io/v1" → networking/v1.
  const moduleOf = (apiVersion) => {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
    return `kubernetes-types/${group.split(".")[0]}/${version}`;
  };
  const lines = [];
  const starts = []; // [first line, label]
  docs.forEach((d, i) => {
    if (typeof d.obj.apiVersion !== "string" || typeof d.obj.kind !== "string") return;
    starts.push([lines.length + 1, d.label]);
    lines.push(`// ${d.label}`);
    lines.push(`export const doc${i}: import(${JSON.stringify(moduleOf(d.obj.apiVersion))}).${d.obj.kind} =`);
    lines.push(...(JSON.stringify(d.obj, null, 2) + ";").split("\n"));
  });
  fs.mkdirSync(outDir, { recursive: true });
  const tsFile = path.join(outDir, "manifests.ts"); // removed with OUT_DIR by the shell test
  fs.writeFileSync(tsFile, lines.join("\n") + "\n");
  const program = ts.createProgram([tsFile], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    baseUrl: nodeModules,
    paths: { "kubernetes-types/*": [path.join(nodeModules, "kubernetes-types/*")] },
  });
  const diags = ts.getPreEmitDiagnostics(program);
  const bad = new Set();
  for (const dg of diags) {
    let where = "manifests";
    if (dg.file && dg.start !== undefined) {
      const { line } = dg.file.getLineAndCharacterOfPosition(dg.start);
      for (const [first, label] of starts) if (first <= line + 1) where = label;
      where += ` (line ${line + 1} of the generated manifests.ts: ${lines[line].trim()})`;
    }
    bad.add(where.split(" (line")[0]);
    fail(`${where}: ${ts.flattenDiagnosticMessageText(dg.messageText, " ")}`);
  }
  for (const [, label] of starts)
    if (!bad.has(label)) check(true, `${label}: no unknown field, types as kubernetes-types declares them`);
})();

// ------------------------------------------------------------ 2. policy
const find = (kind, name) => docs.map((d) => d.obj).find((o) => o.kind === kind && o.metadata && o.metadata.name === name);
const all = (kind) => docs.map((d) => d.obj).filter((o) => o.kind === kind);
const get = (o, ...keys) => keys.reduce((v, k) => (v === undefined || v === null ? undefined : v[k]), o);
const selects = (selector, labels) =>
  !!selector && Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels && labels[k] === v);
// A container port given by number or by name → its number.
const resolvePort = (container, port) =>
  typeof port === "number" ? port : get((container.ports || []).find((p) => p.name === port), "containerPort");

// kustomization.yaml: lists every manifest but the Secrets' example.
if (check(!!kustomization, "kustomization.yaml present", "kustomization.yaml missing or unreadable")) {
  const listed = (kustomization.resources || []).slice().sort();
  const expected = files.filter((f) => f !== "kustomization.yaml" && !policy.notInKustomization.includes(f)).sort();
  check(JSON.stringify(listed) === JSON.stringify(expected),
    `kustomization.yaml lists ${listed.join(", ")}`,
    `kustomization.yaml resources [${listed.join(", ")}] should be exactly [${expected.join(", ")}]`);
  for (const f of policy.notInKustomization)
    check(!listed.includes(f), `kustomization.yaml leaves out ${f}`, `kustomization.yaml must not list ${f}: applying it would overwrite the real Secrets with placeholders`);
  const ns = kustomization.namespace;
  const wrongNs = docs.filter((d) => d.obj.kind !== "Namespace" && get(d.obj, "metadata", "namespace") !== ns);
  check(wrongNs.length === 0, `every object is in namespace ${ns}`,
    `objects not in namespace ${ns}: ${wrongNs.map((d) => d.label).join(", ")}`);
}

const gw = find("Deployment", policy.gatewayName);
const podSpec = get(gw, "spec", "template", "spec") || {};
const podLabels = get(gw, "spec", "template", "metadata", "labels") || {};
const container = (podSpec.containers || [])[0] || {};
let cfg = null; // the gateway's YAML, parsed
let cfgText = null;

if (check(!!gw, `Deployment ${policy.gatewayName} present`)) {
  check(gw.spec.replicas >= policy.minReplicas, `replicas ${gw.spec.replicas} ≥ ${policy.minReplicas}`,
    `Deployment ${policy.gatewayName}: replicas must be at least ${policy.minReplicas} (is ${gw.spec.replicas})`);
  check(selects(gw.spec.selector && gw.spec.selector.matchLabels, podLabels), "the Deployment's selector matches its pod labels");
  check(podSpec.terminationGracePeriodSeconds >= policy.minGraceSeconds,
    `terminationGracePeriodSeconds ${podSpec.terminationGracePeriodSeconds} ≥ ${policy.minGraceSeconds}`,
    `terminationGracePeriodSeconds must be set to at least ${policy.minGraceSeconds} (drain_delay + shutdown_grace, with room); is ${podSpec.terminationGracePeriodSeconds}`);
  check((podSpec.containers || []).length === 1, "one container in the gateway's pod");

  const probe = (name, pathWanted) => {
    const p = container[name];
    const httpGet = p && p.httpGet;
    if (!check(!!httpGet, `${name} is an httpGet probe`, `${name}: expected an httpGet probe on the admin port`)) return;
    check(httpGet.path === pathWanted, `${name} path ${httpGet.path}`, `${name}: path must be ${pathWanted}, is ${httpGet.path}`);
    const port = resolvePort(container, httpGet.port);
    check(port === policy.adminPort, `${name} port ${httpGet.port} → ${port}`,
      `${name}: port must be the admin port ${policy.adminPort}, is ${httpGet.port} (→ ${port})`);
    check(!httpGet.scheme || httpGet.scheme === "HTTP", `${name} over plain HTTP (the admin listener has no TLS)`);
  };
  probe("readinessProbe", "/readyz");
  probe("livenessProbe", "/healthz"); // /healthz never depends on Redis or a vendor

  // Secrets: from secretKeyRef only, never a literal.
  const env = container.env || [];
  const literal = env.filter((e) => e.value !== undefined || !get(e, "valueFrom", "secretKeyRef"));
  check(literal.length === 0, `all ${env.length} environment variables come from secretKeyRef`,
    `environment variables not from a secretKeyRef (secrets must not be literal in the Deployment): ${literal.map((e) => e.name).join(", ")}`);
  check(!container.envFrom, "no envFrom (each variable named)", "envFrom: name each variable with a secretKeyRef instead");
  const gwText = fs.readFileSync(path.join(manifestDir, docs.find((d) => d.obj === gw).file), "utf8");
  check(!/-----BEGIN/.test(gwText), "no PEM block in the Deployment's file", "a PEM block (key or certificate) in the Deployment's file");

  // The container's security.
  const psc = podSpec.securityContext || {};
  for (const dep of all("Deployment")) {
    for (const c of get(dep, "spec", "template", "spec", "containers") || []) {
      const sc = c.securityContext || {};
      const pod = get(dep, "spec", "template", "spec", "securityContext") || {};
      const who = `${dep.metadata.name}/${c.name}`;
      check(sc.runAsNonRoot === true || (pod.runAsNonRoot === true && sc.runAsNonRoot !== false), `${who}: runAsNonRoot`);
      check(sc.readOnlyRootFilesystem === true, `${who}: readOnlyRootFilesystem`);
      check(sc.allowPrivilegeEscalation === false, `${who}: allowPrivilegeEscalation false`);
      check((get(sc, "capabilities", "drop") || []).includes("ALL") && !(get(sc, "capabilities", "add") || []).length,
        `${who}: drops ALL capabilities, adds none`);
      for (const kind of ["requests", "limits"])
        check(!!(get(c, "resources", kind, "cpu") && get(c, "resources", kind, "memory")), `${who}: resources.${kind} cpu and memory`);
    }
  }
  check(psc.runAsUser !== 0, "the gateway's pod does not run as uid 0");

  // The ConfigMap: mounted, and named by --config.
  const args = (container.command || []).concat(container.args || []);
  const configPath = args[args.indexOf("--config") + 1];
  check(args.includes("--config") && !!configPath, `the gateway runs with --config ${configPath}`);
  const mounts = container.volumeMounts || [];
  const volumeAt = (file) => {
    const m = mounts.filter((vm) => file && file.startsWith(vm.mountPath.replace(/\/$/, "") + "/"))
      .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
    if (!m) return null;
    return { mount: m, volume: (podSpec.volumes || []).find((v) => v.name === m.name), key: path.posix.relative(m.mountPath, file) };
  };
  const cfgVol = volumeAt(configPath);
  const cm = cfgVol && get(cfgVol, "volume", "configMap", "name") && find("ConfigMap", cfgVol.volume.configMap.name);
  if (check(!!cm && cfgVol.key === policy.configKey && cm.data && typeof cm.data[policy.configKey] === "string",
    `--config ${configPath} is key ${policy.configKey} of ConfigMap ${cm && cm.metadata.name}`,
    `--config ${configPath} must be the file ${policy.configKey} of a ConfigMap mounted in the container`)) {
    cfgText = cm.data[policy.configKey];
    // Where the block's first line is in the manifest, so that the shell test
    // can give the gateway's messages with the manifest's line numbers.
    const cmDoc = docs.find((d) => d.obj === cm);
    const node = cmDoc.doc.getIn(["data", policy.configKey], true);
    if (node && node.range) {
      const header = cmDoc.text.slice(0, node.range[0]).split("\n").length; // the `|` line
      fs.writeFileSync(path.join(outDir, "origin"), `${path.join(manifestDir, cmDoc.file)} ${header}\n`);
    }
    try {
      // The gateway reads it with yaml-cpp (YAML 1.2).
      cfg = YAML.parse(cfgText, { uniqueKeys: true });
    } catch (e) {
      fail(`ConfigMap ${cm.metadata.name}: ${policy.configKey} is not valid YAML: ${e.message}`);
    }
  }

  if (cfg) {
    // Ports: the probes reach the admin listener, the Service the listener.
    const admin = cfg.admin || {};
    check(admin.port === policy.adminPort && admin.address === "0.0.0.0",
      `gateway YAML: admin on 0.0.0.0:${policy.adminPort} (the kubelet probes the pod's IP)`,
      `gateway YAML: admin must be {address: 0.0.0.0, port: ${policy.adminPort}} for the probes to reach it; is ${JSON.stringify(admin)}`);
    const listen = Array.isArray(cfg.listen) ? cfg.listen[0] : cfg.listen;
    check(!!listen && listen.port === policy.listenPort, `gateway YAML: listen port ${policy.listenPort}`);
    check(resolvePort(container, "https") === policy.listenPort || (container.ports || []).some((p) => p.containerPort === policy.listenPort),
      `container port ${policy.listenPort} declared`);

    // TLS from the kubernetes.io/tls Secret's volume.
    for (const k of ["cert", "key"]) {
      const file = get(listen, "tls", k);
      const v = volumeAt(file);
      const secretName = get(v, "volume", "secret", "secretName");
      check(!!secretName && ["tls.crt", "tls.key"].includes(v.key),
        `gateway YAML: listen.tls.${k} ${file} is ${v && v.key} of Secret ${secretName}`,
        `gateway YAML: listen.tls.${k} (${file}) must be tls.crt/tls.key of a mounted Secret volume`);
    }

    // Every ${NAME} is set by the Deployment, from a Secret.
    const names = [...new Set([...cfgText.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]))];
    const envNames = new Set(env.map((e) => e.name));
    const missing = names.filter((n) => !envNames.has(n));
    check(missing.length === 0, `every \${NAME} of the gateway YAML (${names.join(", ")}) is set by the Deployment`,
      `the gateway YAML uses \${${missing.join("}, ${")}} but the Deployment does not set ${missing.length > 1 ? "them" : "it"}: the pod would not start`);

    // No literal secret in the YAML either.
    const literalSecret = (v) => typeof v !== "string" || !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(v);
    for (const [i, b] of (cfg.backends || []).entries())
      for (const [k, v] of Object.entries(b.credentials || {}))
        if (!k.endsWith("_file") && literalSecret(v))
          fail(`gateway YAML: backends[${i}].credentials.${k} is written out: use \${NAME} from a Secret`);
    const redis = cfg.redis || {};
    check(redis.encryption_key_file !== undefined || !literalSecret(redis.encryption_key),
      "gateway YAML: redis.encryption_key comes from the environment (a Secret)");

    // Redis: its own Deployment and Service, which the YAML names.
    const rsvc = find("Service", policy.redisName);
    const rdep = find("Deployment", policy.redisName);
    check(!!rdep, `Redis has its own Deployment (${policy.redisName})`);
    if (check(!!rsvc, `Redis has its own Service (${policy.redisName})`)) {
      const rLabels = get(rdep, "spec", "template", "metadata", "labels");
      check(selects(rsvc.spec.selector, rLabels), `Service ${policy.redisName} selects the Redis pods`);
      check(!selects(rsvc.spec.selector, podLabels), `Service ${policy.redisName} does not select the gateway's pods`);
      const rc = (get(rdep, "spec", "template", "spec", "containers") || [])[0] || {};
      const rport = (rsvc.spec.ports || [])[0] || {};
      check(rport.port === policy.redisPort && resolvePort(rc, rport.targetPort ?? rport.port) === policy.redisPort,
        `Service ${policy.redisName}: ${rport.port} → ${rport.targetPort}`, `Service ${policy.redisName} must map ${policy.redisPort} to the Redis container's ${policy.redisPort}`);
      const host = `${policy.redisName}.${rsvc.metadata.namespace}.svc`;
      check(redis.address === host || String(redis.address).startsWith(host + "."),
        `gateway YAML: redis.address ${redis.address} is the Service`,
        `gateway YAML: redis.address must be the Service's name ${host}; is ${redis.address}`);
      check(redis.port === policy.redisPort, `gateway YAML: redis.port ${redis.port}`);
    }
    check(redis.replicas_hint === gw.spec.replicas, `gateway YAML: redis.replicas_hint ${redis.replicas_hint} = replicas`,
      `gateway YAML: redis.replicas_hint (${JSON.stringify(redis.replicas_hint)}) must equal the Deployment's replicas (${JSON.stringify(gw.spec.replicas)}): limits per replica are limit ÷ replicas_hint while Redis is down`);

    // threads: not auto (it would count the node's cores), at most the CPU limit.
    const cpuLimit = String(get(container, "resources", "limits", "cpu") || "");
    const cpus = cpuLimit.endsWith("m") ? Number(cpuLimit.slice(0, -1)) / 1000 : Number(cpuLimit);
    check(typeof cfg.threads === "number" && cfg.threads === Math.max(1, Math.ceil(cpus)),
      `gateway YAML: threads ${cfg.threads} = CPU limit ${cpuLimit}`,
      `gateway YAML: threads must be a number equal to the container's CPU limit rounded up (${cpuLimit}), not ${JSON.stringify(cfg.threads)}: \`auto\` counts the node's cores`);
  }

  // The Service clients use: 443 → 8443 on the gateway's pods.
  const svc = all("Service").find((s) => selects(s.spec.selector, podLabels));
  if (check(!!svc, `a Service selects the gateway's pods (${svc && svc.metadata.name})`)) {
    const p = (svc.spec.ports || []).find((x) => x.port === policy.servicePort);
    check(!!p && resolvePort(container, p.targetPort ?? p.port) === policy.listenPort,
      `Service ${svc.metadata.name}: ${policy.servicePort} → ${p && p.targetPort} (${policy.listenPort})`,
      `Service ${svc.metadata.name} must map port ${policy.servicePort} to the container's ${policy.listenPort}`);
    check(!(svc.spec.ports || []).some((x) => resolvePort(container, x.targetPort ?? x.port) === policy.adminPort),
      "the admin port is not exposed by the Service");
  }

  // The PodDisruptionBudget: selects these pods and lets one go at a time.
  const pdb = all("PodDisruptionBudget").find((p) => selects(get(p, "spec", "selector", "matchLabels"), podLabels));
  if (check(!!pdb, `a PodDisruptionBudget selects the gateway's pods (${pdb && pdb.metadata.name})`,
    "no PodDisruptionBudget whose spec.selector.matchLabels select the gateway's pods")) {
    const { maxUnavailable, minAvailable } = pdb.spec;
    const r = gw.spec.replicas;
    const ok = (typeof maxUnavailable === "number" && maxUnavailable >= 1 && maxUnavailable < r) ||
      (typeof minAvailable === "number" && minAvailable >= 1 && minAvailable < r);
    check(ok, `PodDisruptionBudget: ${maxUnavailable !== undefined ? `maxUnavailable ${maxUnavailable}` : `minAvailable ${minAvailable}`} of ${r}`,
      `PodDisruptionBudget: give maxUnavailable or minAvailable as a number between 1 and replicas-1 (${r - 1}), so that drains proceed one pod at a time and never empty the Service`);
    check(!get(pdb, "spec", "selector", "matchExpressions"), "PodDisruptionBudget selects by matchLabels only");
  }

  // The example Secrets hold every key the Deployment reads, and placeholders only.
  const secrets = all("Secret");
  for (const e of env) {
    const ref = get(e, "valueFrom", "secretKeyRef");
    if (!ref) continue;
    const s = secrets.find((x) => x.metadata.name === ref.name);
    check(!!s && Object.keys({ ...(s.data || {}), ...(s.stringData || {}) }).includes(ref.key),
      `env ${e.name}: key ${ref.key} of Secret ${ref.name} (secrets.example.yaml)`,
      `env ${e.name}: Secret ${ref.name} with key ${ref.key} is not in the manifests (secrets.example.yaml)`);
  }
  for (const v of podSpec.volumes || []) {
    if (!v.secret) continue;
    const s = secrets.find((x) => x.metadata.name === v.secret.secretName);
    check(!!s && s.type === "kubernetes.io/tls", `volume ${v.name}: Secret ${v.secret.secretName} of type kubernetes.io/tls`);
  }
  for (const s of secrets) {
    const values = Object.entries(s.stringData || {}).concat(
      Object.entries(s.data || {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
    const real = values.filter(([, v]) => !/PLACEHOLDER/.test(v));
    check(real.length === 0, `Secret ${s.metadata.name}: placeholders only`,
      `Secret ${s.metadata.name}: ${real.map(([k]) => k).join(", ")} not an obvious PLACEHOLDER: real secrets never go in the repository`);
  }
}

// ------------------------------------ 3. the gateway's YAML for --check-config
if (cfgText !== null) {
  const tlsDir = path.join(outDir, "tls");
  let text = cfgText;
  const listen = cfg && (Array.isArray(cfg.listen) ? cfg.listen[0] : cfg.listen);
  for (const k of ["cert", "key"]) {
    const file = get(listen, "tls", k);
    if (typeof file === "string") text = text.split(file).join(path.join(tlsDir, path.posix.basename(file)));
  }
  fs.writeFileSync(path.join(outDir, "gateway.yaml"), text);
  // Dummy values in the shape each variable needs.
  const dummy = (name) => {
    if (/CREDENTIALS_KEY$/.test(name)) return crypto.randomBytes(32).toString("hex");
    if (/SERVICE_ACCOUNT$/.test(name)) {
      const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
      return JSON.stringify({
        type: "service_account",
        client_email: "gateway@placeholder.iam.gserviceaccount.com",
        private_key_id: "dummy",
        private_key: privateKey.export({ type: "pkcs8", format: "pem" }),
      });
    }
    return `dummy-${name.toLowerCase()}`;
  };
  const env = (container.env || []).map((e) => `${e.name}=${dummy(e.name)}`);
  fs.writeFileSync(path.join(outDir, "env"), env.join("\n") + "\n");
}

console.log(`kubernetes_check: ${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
