{{/* Chart name, truncated to the DNS label limit. */}}
{{- define "hub.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release name, plus the chart name unless the release name contains it. */}}
{{- define "hub.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels shared by every object. */}}
{{- define "hub.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "hub.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: samhandling-hub
{{- end }}

{{/* Selector labels of one component: call with (dict "root" $ "component" "worker"). */}}
{{- define "hub.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hub.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "hub.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hub.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "hub.secretName" -}}
{{- default (include "hub.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* "production" unless settings.env says "dev". */}}
{{- define "hub.env.name" -}}
{{- .Values.settings.env | default "production" }}
{{- end }}

{{/* A HUB_ boolean of settings.extraEnv as pydantic reads it ("true", "1", "yes", "on"). */}}
{{- define "hub.extraEnvTrue" -}}
{{- $value := index .root.Values.settings.extraEnv .name | default "" | toString | lower }}
{{- if has $value (list "true" "1" "yes" "on") }}true{{ end }}
{{- end }}

{{/* Fail closed at render time, as the hub does at start (hub/settings.py, hub/tls.py,
     connectors/common/auth.py): outside development every listener has TLS, the connectors authenticate
     their senders, and neither the public development pseudonym key nor static API tokens are used. */}}
{{- define "hub.validate" -}}
{{- $env := include "hub.env.name" . }}
{{- if not (has $env (list "dev" "production")) }}
{{- fail (printf "settings.env must be dev or production, not %q" $env) }}
{{- end }}
{{- if and .Values.tls.clientCa (not .Values.tls.secretName) }}
{{- fail "tls.clientCa needs tls.secretName: the client CA is the ca.crt of that Secret" }}
{{- end }}
{{- if and .Values.kafkaTls.clientCertificate (not .Values.kafkaTls.enabled) }}
{{- fail "kafkaTls.clientCertificate needs kafkaTls.enabled (the brokers' CA, kafka-ca.crt)" }}
{{- end }}
{{- if ne $env "dev" }}
{{- if not (or .Values.tls.secretName .Values.tls.allowPlaintext) }}
{{- fail "tls.secretName is required outside development (settings.env=production): a kubernetes.io/tls Secret (tls.crt, tls.key; ca.crt with tls.clientCa) for every listener; tls.allowPlaintext=true only where TLS is terminated in front of the hub" }}
{{- end }}
{{- range $id, $key := .Values.secrets.pseudonymKeys }}
{{- if eq (toString $key) "local-development-only-not-a-secret" }}
{{- fail (printf "secrets.pseudonymKeys.%s is the public development key: every pseudonym made with it can be reversed; set a secret of your own" $id) }}
{{- end }}
{{- end }}
{{- if .Values.secrets.apiTokens }}
{{- fail "secrets.apiTokens (static bearer tokens) are for development only: configure HelseID-style access tokens (HUB_AUTH__ISSUER, HUB_AUTH__JWKS_URL, HUB_AUTH__AUDIENCE in settings.extraEnv)" }}
{{- end }}
{{- $connectors := list }}
{{- range $name, $connector := .Values.connectors }}
{{- if $connector.enabled }}{{ $connectors = append $connectors $name }}{{ end }}
{{- end }}
{{- $tokens := include "hub.extraEnvTrue" (dict "root" . "name" "HUB_AUTH__CONNECTORS") }}
{{- $anonymous := include "hub.extraEnvTrue" (dict "root" . "name" "HUB_AUTH__ANONYMOUS_SENDERS") }}
{{- if and $connectors (not (or .Values.tls.clientCa $tokens $anonymous)) }}
{{- fail (printf "connectors %s need sender authentication outside development: tls.clientCa=true (mutual TLS), or HUB_AUTH__CONNECTORS: \"true\" with HUB_AUTH__ISSUER and HUB_AUTH__JWKS_URL in settings.extraEnv, or an explicit HUB_AUTH__ANONYMOUS_SENDERS: \"true\"" (join ", " $connectors)) }}
{{- end }}
{{- end }}
{{- end }}

{{- define "hub.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Environment of every hub container: the ConfigMap plus the secret keys. */}}
{{- define "hub.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "hub.fullname" . }}
env:
  - name: HUB_PSEUDONYM__KEYS
    valueFrom:
      secretKeyRef:
        name: {{ include "hub.secretName" . }}
        key: HUB_PSEUDONYM__KEYS
  {{- range $key := list "HUB_REGISTRY__URL" "HUB_KAFKA__SASL_USERNAME" "HUB_KAFKA__SASL_PASSWORD" "HUB_WEB__API_TOKENS" }}
  - name: {{ $key }}
    valueFrom:
      secretKeyRef:
        name: {{ include "hub.secretName" $ }}
        key: {{ $key }}
        optional: true
  {{- end }}
  {{- if .Values.kafkaTls.enabled }}
  - name: HUB_KAFKA__SSL_CAFILE
    value: /etc/hub/kafka-tls/kafka-ca.crt
  {{- end }}
  {{- if .Values.kafkaTls.clientCertificate }}
  - name: HUB_KAFKA__SSL_CERTFILE
    value: /etc/hub/kafka-tls/kafka-client.crt
  - name: HUB_KAFKA__SSL_KEYFILE
    value: /etc/hub/kafka-tls/kafka-client.key
  {{- end }}
{{- end }}

{{/* One probe against the web port: HTTP(S) GET, or a TCP check when every listener requires a client
     certificate (the kubelet has none). Call with (dict "root" $ "probe" .Values.probes.liveness). */}}
{{- define "hub.probe" -}}
{{- if .root.Values.tls.clientCa -}}
tcpSocket:
  port: web
{{- else -}}
httpGet:
  path: {{ .probe.path }}
  port: web
  {{- if .root.Values.tls.secretName }}
  scheme: HTTPS
  {{- end }}
{{- end }}
{{- end }}

{{/* Probes against the web port. */}}
{{- define "hub.probes" -}}
livenessProbe:
  {{- include "hub.probe" (dict "root" . "probe" .Values.probes.liveness) | nindent 2 }}
  initialDelaySeconds: {{ .Values.probes.liveness.initialDelaySeconds }}
  periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
readinessProbe:
  {{- include "hub.probe" (dict "root" . "probe" .Values.probes.readiness) | nindent 2 }}
  initialDelaySeconds: {{ .Values.probes.readiness.initialDelaySeconds }}
  periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
startupProbe:
  {{- include "hub.probe" (dict "root" . "probe" .Values.probes.startup) | nindent 2 }}
  periodSeconds: {{ .Values.probes.startup.periodSeconds }}
  failureThreshold: {{ .Values.probes.startup.failureThreshold }}
{{- end }}

{{/* Volumes every hub pod needs with a read-only root filesystem (plus the Kafka CA and client certificate,
     and the listeners' TLS Secret). */}}
{{- define "hub.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- if .Values.kafkaTls.enabled }}
- name: kafka-tls
  secret:
    secretName: {{ include "hub.secretName" . }}
    items:
      - key: kafka-ca.crt
        path: kafka-ca.crt
      {{- if .Values.kafkaTls.clientCertificate }}
      - key: kafka-client.crt
        path: kafka-client.crt
      - key: kafka-client.key
        path: kafka-client.key
      {{- end }}
    defaultMode: 288  # 0440: readable by the hub's group (fsGroup) only
{{- end }}
{{- with .Values.tls.secretName }}
- name: tls
  secret:
    secretName: {{ . }}
    items:
      - key: tls.crt
        path: tls.crt
      - key: tls.key
        path: tls.key
      {{- if $.Values.tls.clientCa }}
      - key: ca.crt
        path: ca.crt
      {{- end }}
    defaultMode: 288  # 0440
{{- end }}
{{- end }}

{{- define "hub.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.kafkaTls.enabled }}
- name: kafka-tls
  mountPath: /etc/hub/kafka-tls
  readOnly: true
{{- end }}
{{- if .Values.tls.secretName }}
- name: tls
  mountPath: /etc/hub/tls
  readOnly: true
{{- end }}
{{- end }}
