{{/* Names and labels ---------------------------------------------------------------------- */}}

{{- define "phoenix.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "phoenix.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<fullname>-<suffix>" as a valid DNS-1035 label (Service and Deployment names). */}}
{{- define "phoenix.resourceName" -}}
{{- $root := index . 0 -}}{{- $suffix := index . 1 -}}
{{- printf "%s-%s" (include "phoenix.fullname" $root) ($suffix | lower | replace "_" "-" | replace "." "-") | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "phoenix.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "phoenix.baseLabels" -}}
helm.sh/chart: {{ include "phoenix.chart" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: phoenix
{{- end -}}

{{/* Labels of resources that are not Phoenix apps (ConfigMaps, Kafka, registry …). */}}
{{- define "phoenix.commonLabels" -}}
{{ include "phoenix.baseLabels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of Phoenix's own workloads; `phoenix validate` discovers Services by them. */}}
{{- define "phoenix.labels" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
{{ include "phoenix.baseLabels" $root }}
{{ include "phoenix.selectorLabels" (list $root $component) }}
{{- end -}}

{{- define "phoenix.selectorLabels" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
app.kubernetes.io/name: {{ include "phoenix.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ $component }}
{{- end -}}

{{- define "phoenix.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "phoenix.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "phoenix.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) -}}
{{- end -}}

{{/* Kafka and registry -------------------------------------------------------------------- */}}

{{- define "phoenix.strimziCluster" -}}
{{- default (include "phoenix.fullname" .) .Values.kafka.strimzi.clusterName | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{- define "phoenix.kafkaBootstrap" -}}
{{- if .Values.kafka.strimzi.enabled -}}
{{- printf "%s-kafka-bootstrap.%s.svc:%v" (include "phoenix.strimziCluster" .) .Release.Namespace .Values.kafka.strimzi.listener.port -}}
{{- else -}}
{{- required "kafka.external.bootstrapServers is required when kafka.strimzi.enabled is false" .Values.kafka.external.bootstrapServers -}}
{{- end -}}
{{- end -}}

{{/* SASL settings apply to an external cluster only (the Strimzi listener here is plain and internal). */}}
{{- define "phoenix.kafkaSasl" -}}
{{- if and (not .Values.kafka.strimzi.enabled) .Values.kafka.external.sasl.mechanism -}}true{{- end -}}
{{- end -}}

{{- define "phoenix.kafkaSsl" -}}
{{- if and (not .Values.kafka.strimzi.enabled) .Values.kafka.external.ssl -}}true{{- else -}}false{{- end -}}
{{- end -}}

{{- define "phoenix.registryName" -}}
{{- include "phoenix.resourceName" (list . "registry") -}}
{{- end -}}

{{- define "phoenix.registryUrl" -}}
{{- if .Values.registry.deploy.enabled -}}
{{- printf "http://%s.%s.svc:8080/apis/ccompat/v7" (include "phoenix.registryName" .) .Release.Namespace -}}
{{- else -}}
{{- required "registry.external.url is required when registry.deploy.enabled is false" .Values.registry.external.url -}}
{{- end -}}
{{- end -}}

{{/* Config files ----------------------------------------------------------------------------- */}}

{{/* The config directory as a map of relative path → content: the repo's files, then overrides. */}}
{{- define "phoenix.configFiles" -}}
{{- $files := dict -}}
{{- if .Values.config.defaults -}}
{{- range $path, $_ := .Files.Glob "files/config/**" -}}
{{- $rel := trimPrefix "files/config/" $path -}}
{{- if not (hasSuffix ".example.yaml" $rel) -}}
{{- $_ := set $files $rel ($.Files.Get $path) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $rel, $content := .Values.config.files -}}
{{- $_ := set $files $rel $content -}}
{{- end -}}
{{- $fleet := include "phoenix.mcpServersFile" (list . (get $files "mcp-servers.yaml" | default "")) -}}
{{- if $fleet -}}
{{- $_ := set $files "mcp-servers.yaml" $fleet -}}
{{- end -}}
{{- if not (hasKey .Values.config.files "deployment.yaml") -}}
{{- $_ := set $files "deployment.yaml" (include "phoenix.deploymentFile" .) -}}
{{- end -}}
{{- toYaml $files -}}
{{- end -}}

{{/* The MCP fleet ---------------------------------------------------------------------------- */}}

{{- define "phoenix.mcpMode" -}}
{{- .mode | default "config" -}}
{{- end -}}

{{/* Deployment and Service of a `service` entry's server: <fullname>-mcp-<name>. */}}
{{- define "phoenix.mcpServerResource" -}}
{{- $root := index . 0 -}}{{- $entry := index . 1 -}}
{{- include "phoenix.resourceName" (list $root (printf "mcp-%s" $entry.name)) -}}
{{- end -}}

{{/* Where the worker reaches a sidecar/service/external entry's server. */}}
{{- define "phoenix.mcpServerUrl" -}}
{{- $root := index . 0 -}}{{- $e := index . 1 -}}
{{- $mode := include "phoenix.mcpMode" $e -}}
{{- $f := $root.Values.mcpFleet -}}
{{- if eq $mode "sidecar" -}}
{{- printf "http://127.0.0.1:%v/mcp" (($e.sidecar | default dict).port | default $f.sidecar.port) -}}
{{- else if eq $mode "service" -}}
{{- $svc := $e.service | default dict -}}
{{- printf "http://%s.%s.svc:%v%s" (include "phoenix.mcpServerResource" (list $root $e)) $root.Release.Namespace ($svc.port | default $f.service.port) ($svc.path | default $f.service.path) -}}
{{- else if eq $mode "external" -}}
{{- required (printf "mcpServers: %s: mode external needs external.url" $e.name) ($e.external | default dict).url -}}
{{- end -}}
{{- end -}}

{{/* mcp-servers.yaml with an http entry for every sidecar/service/external server (replacing an
     entry of the same name); "" when the fleet has none. Arguments: root, the file's content. */}}
{{- define "phoenix.mcpServersFile" -}}
{{- $root := index . 0 -}}{{- $content := index . 1 -}}
{{- $generated := list -}}
{{- range $root.Values.mcpServers -}}
{{- if ne (include "phoenix.mcpMode" .) "config" -}}{{- $generated = append $generated . -}}{{- end -}}
{{- end -}}
{{- if $generated -}}
{{- $doc := $content | default "servers: []" | fromYaml -}}
{{- if hasKey $doc "Error" -}}{{- fail (printf "mcp-servers.yaml is not valid YAML: %s" $doc.Error) -}}{{- end -}}
{{- $byName := dict -}}
{{- $order := list -}}
{{- range ($doc.servers | default list) -}}
{{- $_ := set $byName .name . -}}{{- $order = append $order .name -}}
{{- end -}}
{{- range $generated -}}
{{- $e := . -}}
{{- $mode := include "phoenix.mcpMode" $e -}}
{{- $headers := dict -}}
{{- if eq $mode "service" }}{{ $headers = ($e.service | default dict).headers | default dict }}{{ end -}}
{{- if eq $mode "external" }}{{ $headers = ($e.external | default dict).headers | default dict }}{{ end -}}
{{- $transport := dict "type" "http" "url" (include "phoenix.mcpServerUrl" (list $root $e)) -}}
{{- if $headers }}{{ $_ := set $transport "headers" $headers }}{{ end -}}
{{- $server := dict "name" $e.name "transport" $transport -}}
{{- range $k := list "description" "concurrency" "timeoutMs" "allowTools" "maxAttempts" "protocol" -}}
{{- if hasKey $e $k }}{{ $_ := set $server $k (get $e $k) }}{{ end -}}
{{- end -}}
{{- if not (hasKey $byName $e.name) }}{{ $order = append $order $e.name }}{{ end -}}
{{- $_ := set $byName $e.name $server -}}
{{- end -}}
{{- $servers := list -}}
{{- range $order }}{{ $servers = append $servers (get $byName .) }}{{ end -}}
{{- printf "# Written by the Helm chart: the repository's mcp-servers.yaml plus the mcpServers fleet.\n%s" (toYaml (dict "servers" $servers)) -}}
{{- end -}}
{{- end -}}

{{/* config/deployment.yaml for `phoenix validate` inside the cluster (`helm test`). */}}
{{- define "phoenix.deploymentFile" -}}
{{- $v := .Values.validate -}}
{{- $names := list -}}
{{- range .Values.mcpServers }}{{ $names = append $names .name }}{{ end -}}
{{- $doc := dict
  "kubernetes" (dict "namespace" .Release.Namespace "labelSelector" (printf "app.kubernetes.io/name=%s,app.kubernetes.io/instance=%s" (include "phoenix.name" .) .Release.Name) "appLabel" "app.kubernetes.io/component" "portName" "http")
  "maxLag" $v.maxLag
  "mcp" (dict "servers" $names "maxErrorRate" $v.mcp.maxErrorRate "maxP95Ms" $v.mcp.maxP95Ms "minCalls" $v.mcp.minCalls)
-}}
{{- printf "# Written by the Helm chart for `phoenix validate` in the cluster (helm test).\n%s" (toYaml $doc) -}}
{{- end -}}

{{/* The sidecar container of a `sidecar` entry: mcp-bridge running the stdio server. */}}
{{- define "phoenix.mcpSidecar" -}}
{{- $root := index . 0 -}}{{- $e := index . 1 -}}
{{- $sc := $e.sidecar | default dict -}}
{{- $f := $root.Values.mcpFleet.sidecar -}}
{{- $port := $sc.port | default $f.port -}}
{{- $healthPort := $sc.healthPort | default $f.healthPort -}}
{{- range $p := list $port $healthPort }}{{ if eq (int $p) (int $root.Values.ports.health) }}{{ fail (printf "mcpServers[%s]: sidecar port %v is the worker's health port (ports.health)" $e.name $p) }}{{ end }}{{ end -}}
{{- if eq (int $port) (int $healthPort) }}{{ fail (printf "mcpServers[%s]: sidecar.port and sidecar.healthPort are both %v" $e.name $port) }}{{ end -}}
{{- $img := $sc.image | default dict -}}
- name: mcp-server
  image: {{ if $img.repository }}{{ printf "%s:%s" $img.repository (required (printf "mcpServers: %s: sidecar.image.tag is required with sidecar.image.repository" $e.name) $img.tag | toString) }}{{ else }}{{ include "phoenix.image" $root }}{{ end }}
  imagePullPolicy: {{ $img.pullPolicy | default $root.Values.image.pullPolicy }}
  {{- if $root.Values.mcpFleet.nativeSidecars }}
  restartPolicy: Always
  {{- end }}
  command: ["node", "/app/dist/apps/mcp-bridge/src/main.js"]
  args:
    {{- toYaml (concat (list "--name" $e.name "--port" (toString $port) "--host" "127.0.0.1" "--health-port" (toString $healthPort) "--protocol" ($sc.protocol | default "auto") "--") $sc.command) | nindent 4 }}
  env:
    - { name: HOME, value: /tmp }
    {{- range $k, $v := ($sc.env | default dict) }}
    - name: {{ $k }}
      value: {{ $v | quote }}
    {{- end }}
    {{- range $k, $ref := ($sc.secretEnv | default dict) }}
    - name: {{ $k }}
      valueFrom:
        secretKeyRef: { name: {{ $ref.name | quote }}, key: {{ $ref.key | quote }} }
    {{- end }}
  # MCP on the pod's loopback only (the worker shares it); probes reach the health listener.
  ports:
    - name: mcp-health
      containerPort: {{ $healthPort }}
      protocol: TCP
  # The bridge itself (live) and the stdio server answering tools/list (ready).
  startupProbe:
    httpGet: { path: /health/live, port: mcp-health }
    {{- toYaml $root.Values.probes.startup | nindent 4 }}
  livenessProbe:
    httpGet: { path: /health/live, port: mcp-health }
    {{- toYaml $root.Values.probes.liveness | nindent 4 }}
  readinessProbe:
    httpGet: { path: /health/ready, port: mcp-health }
    {{- toYaml $root.Values.probes.readiness | nindent 4 }}
  resources:
    {{- toYaml ($sc.resources | default $f.resources) | nindent 4 }}
  securityContext:
    {{- toYaml $root.Values.securityContext | nindent 4 }}
  volumeMounts:
    - { name: tmp, mountPath: /tmp }
{{- end -}}

{{/* ConfigMap keys cannot contain "/": playbooks/x.yaml is stored as playbooks__x.yaml. */}}
{{- define "phoenix.configKey" -}}
{{- . | replace "/" "__" -}}
{{- end -}}

{{/* Pod pieces -------------------------------------------------------------------------------- */}}

{{/* Environment variables that need secretKeyRef or must be explicit (KEDA reads them). */}}
{{- define "phoenix.secretEnv" -}}
{{- $root := index . 0 -}}{{- $app := index . 1 -}}
{{- if include "phoenix.kafkaSasl" $root }}
{{- $sasl := $root.Values.kafka.external.sasl }}
{{- $secret := required "kafka.external.sasl.existingSecret is required with kafka.external.sasl.mechanism" $sasl.existingSecret }}
- name: KAFKA_SASL_USERNAME
{{- if $sasl.usernameKey }}
  valueFrom:
    secretKeyRef: { name: {{ $secret | quote }}, key: {{ $sasl.usernameKey | quote }} }
{{- else }}
  value: {{ required "kafka.external.sasl.username (or usernameKey) is required with kafka.external.sasl.mechanism" $sasl.username | quote }}
{{- end }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ $secret | quote }}, key: {{ $sasl.passwordKey | quote }} }
{{- end }}
{{- if and (not $root.Values.registry.deploy.enabled) $root.Values.registry.external.existingSecret }}
- name: SCHEMA_REGISTRY_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ $root.Values.registry.external.existingSecret | quote }}, key: {{ $root.Values.registry.external.passwordKey | quote }} }
{{- end }}
{{- range $name, $ref := $root.Values.secrets.env }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef: { name: {{ $ref.name | quote }}, key: {{ $ref.key | quote }} }
{{- end }}
{{- range $name, $ref := ($app.secretEnv | default dict) }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef: { name: {{ $ref.name | quote }}, key: {{ $ref.key | quote }} }
{{- end }}
{{- end -}}

{{- define "phoenix.envFrom" -}}
- configMapRef:
    name: {{ include "phoenix.resourceName" (list . "env") }}
{{- if .Values.secrets.existingSecret }}
- secretRef:
    name: {{ .Values.secrets.existingSecret | quote }}
{{- end }}
{{- end -}}

{{- define "phoenix.configVolume" -}}
- name: config
  configMap:
    name: {{ include "phoenix.resourceName" (list . "config") }}
    items:
{{- range $rel, $_ := (include "phoenix.configFiles" . | fromYaml) }}
      - key: {{ include "phoenix.configKey" $rel }}
        path: {{ $rel }}
{{- end }}
{{- end -}}

{{- define "phoenix.podAnnotations" -}}
checksum/env: {{ include (print .Template.BasePath "/configmaps.yaml") . | sha256sum | trunc 16 }}
{{- end -}}

{{/* One Phoenix app: Deployment, Service, PDB and autoscaling (KEDA ScaledObject or HPA).
     Arguments (dict): root, app (APP value), name (resource suffix), component, spec (values),
     port (container port), env (extra env list), groupId (consumer group, "" for none),
     topicsDefault (KEDA topics when spec.keda.topics is unset), extraLabels (map). */}}
{{- define "phoenix.app" -}}
{{- $root := .root -}}
{{- $spec := .spec -}}
{{- $name := include "phoenix.resourceName" (list $root .name) -}}
{{- $labels := include "phoenix.labels" (list $root .component) -}}
{{- $selector := include "phoenix.selectorLabels" (list $root .component) -}}
{{- $extra := .extraLabels | default dict -}}
{{- $keda := $spec.keda | default dict -}}
{{- $hpa := $spec.hpa | default dict -}}
{{- if and $keda.enabled $hpa.enabled -}}
{{- fail (printf "%s: enable either keda or hpa, not both (KEDA manages its own HPA)" .name) -}}
{{- end -}}
{{- if and $keda.enabled (not .groupId) -}}
{{- fail (printf "%s: has no consumer group, so it cannot scale on consumer lag; use hpa" .name) -}}
{{- end -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    {{- $labels | nindent 4 }}
    {{- with $extra }}{{ toYaml . | nindent 4 }}{{ end }}
spec:
  {{- if not (or $keda.enabled $hpa.enabled) }}
  replicas: {{ $spec.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  {{- if .recreate }}
  strategy:
    type: Recreate
  {{- end }}
  selector:
    matchLabels:
      {{- $selector | nindent 6 }}
      {{- with $extra }}{{ toYaml . | nindent 6 }}{{ end }}
  template:
    metadata:
      labels:
        {{- $labels | nindent 8 }}
        {{- with $extra }}{{ toYaml . | nindent 8 }}{{ end }}
      annotations:
        {{- include "phoenix.podAnnotations" $root | nindent 8 }}
        {{- with $spec.podAnnotations }}{{ toYaml . | nindent 8 }}{{ end }}
    spec:
      serviceAccountName: {{ include "phoenix.serviceAccountName" $root }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: 45
      {{- if and .sidecar $root.Values.mcpFleet.nativeSidecars }}
      # Native sidecar: up before the worker starts, stopped after it.
      initContainers:
        {{- .sidecar | nindent 8 }}
      {{- end }}
      containers:
        {{- if and .sidecar (not $root.Values.mcpFleet.nativeSidecars) }}
        {{- .sidecar | nindent 8 }}
        {{- end }}
        - name: {{ .app }}
          image: {{ include "phoenix.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          env:
            - name: APP
              value: {{ .app | quote }}
            {{- range .env }}
            - name: {{ .name }}
              value: {{ .value | quote }}
            {{- end }}
            {{- range $k, $v := ($spec.env | default dict) }}
            - name: {{ $k }}
              value: {{ $v | quote }}
            {{- end }}
            {{- include "phoenix.secretEnv" (list $root $spec) | nindent 12 }}
          envFrom:
            {{- include "phoenix.envFrom" $root | nindent 12 }}
          ports:
            - name: http
              containerPort: {{ .port }}
              protocol: TCP
          startupProbe:
            httpGet: { path: /health/live, port: http }
            {{- toYaml $root.Values.probes.startup | nindent 12 }}
          livenessProbe:
            httpGet: { path: /health/live, port: http }
            {{- toYaml $root.Values.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet: { path: /health/ready, port: http }
            {{- toYaml $root.Values.probes.readiness | nindent 12 }}
          resources:
            {{- toYaml ($spec.resources | default dict) | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - { name: config, mountPath: /etc/phoenix/config, readOnly: true }
            - { name: data, mountPath: /app/.data }
            - { name: tmp, mountPath: /tmp }
      volumes:
        {{- include "phoenix.configVolume" $root | nindent 8 }}
        - name: tmp
          emptyDir: {}
        {{- if .dataClaim }}
        - name: data
          persistentVolumeClaim:
            claimName: {{ .dataClaim }}
        {{- else }}
        - name: data
          emptyDir: {}
        {{- end }}
      {{- with $spec.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $spec.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $spec.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- $labels | nindent 4 }}
    {{- with $extra }}{{ toYaml . | nindent 4 }}{{ end }}
spec:
  type: {{ ($spec.service | default dict).type | default "ClusterIP" }}
  selector:
    {{- $selector | nindent 4 }}
    {{- with $extra }}{{ toYaml . | nindent 4 }}{{ end }}
  ports:
    - name: http
      port: {{ ($spec.service | default dict).port | default .port }}
      targetPort: http
      protocol: TCP
{{- include "phoenix.workloadExtras" (dict "root" $root "name" $name "labels" $labels "selector" $selector "extra" $extra "spec" $spec "groupId" .groupId "topicsDefault" .topicsDefault) }}
{{- end -}}

{{/* A workload's PodDisruptionBudget and autoscaling (KEDA ScaledObject on a consumer group's lag,
     or an HPA on CPU), for Phoenix's apps and the fleet's MCP server Deployments alike.
     Arguments (dict): root, name, labels, selector, extra (labels), spec (values: pdb, keda, hpa),
     groupId (consumer group KEDA reads, "" for none), topicsDefault. */}}
{{- define "phoenix.workloadExtras" -}}
{{- $root := .root -}}
{{- $name := .name -}}
{{- $labels := .labels -}}
{{- $selector := .selector -}}
{{- $extra := .extra | default dict -}}
{{- $spec := .spec -}}
{{- $keda := $spec.keda | default dict -}}
{{- $hpa := $spec.hpa | default dict -}}
{{- $pdb := $spec.pdb | default dict -}}
{{- $groupId := .groupId -}}
{{- if $pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
  labels:
    {{- $labels | nindent 4 }}
    {{- with $extra }}{{ toYaml . | nindent 4 }}{{ end }}
spec:
  {{- if hasKey $pdb "maxUnavailable" }}
  maxUnavailable: {{ $pdb.maxUnavailable }}
  {{- else }}
  minAvailable: {{ $pdb.minAvailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- $selector | nindent 6 }}
      {{- with $extra }}{{ toYaml . | nindent 6 }}{{ end }}
{{- end }}
{{- if $keda.enabled }}
{{- $kd := $root.Values.keda }}
{{- $topics := $keda.topics | default .topicsDefault | default list }}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: {{ $name }}
  labels:
    {{- $labels | nindent 4 }}
    {{- with $extra }}{{ toYaml . | nindent 4 }}{{ end }}
spec:
  scaleTargetRef:
    name: {{ $name }}
  minReplicaCount: {{ $keda.minReplicas | default 1 }}
  maxReplicaCount: {{ $keda.maxReplicas | default 6 }}
  pollingInterval: {{ $keda.pollingInterval | default $kd.pollingInterval }}
  cooldownPeriod: {{ $keda.cooldownPeriod | default $kd.cooldownPeriod }}
  triggers:
    {{- range (ternary (list "") $topics (empty $topics)) }}
    - type: kafka
      metadata:
        bootstrapServers: {{ include "phoenix.kafkaBootstrap" $root | quote }}
        consumerGroup: {{ $groupId | quote }}
        {{- if . }}
        topic: {{ . | quote }}
        {{- end }}
        lagThreshold: {{ $keda.lagThreshold | default $kd.lagThreshold | toString | quote }}
        activationLagThreshold: {{ $keda.activationLagThreshold | default $kd.activationLagThreshold | toString | quote }}
        offsetResetPolicy: {{ $kd.offsetResetPolicy | quote }}
        allowIdleConsumers: {{ $kd.allowIdleConsumers | toString | quote }}
        {{- if include "phoenix.kafkaSasl" $root }}
        sasl: {{ get (dict "plain" "plaintext" "scram-sha-256" "scram_sha256" "scram-sha-512" "scram_sha512") $root.Values.kafka.external.sasl.mechanism | quote }}
        {{- end }}
        {{- if eq (include "phoenix.kafkaSsl" $root) "true" }}
        tls: enable
        {{- end }}
      {{- if include "phoenix.kafkaSasl" $root }}
      authenticationRef:
        name: {{ include "phoenix.resourceName" (list $root "kafka-auth") }}
      {{- end }}
    {{- end }}
{{- else if $hpa.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $name }}
  labels:
    {{- $labels | nindent 4 }}
    {{- with $extra }}{{ toYaml . | nindent 4 }}{{ end }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $name }}
  minReplicas: {{ $hpa.minReplicas | default 1 }}
  maxReplicas: {{ $hpa.maxReplicas | default 6 }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $hpa.targetCPUUtilizationPercentage | default 70 }}
{{- end }}
{{- end -}}
