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
{{- toYaml $files -}}
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
{{- $pdb := $spec.pdb | default dict -}}
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
      containers:
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
        consumerGroup: {{ $.groupId | quote }}
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
