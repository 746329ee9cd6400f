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
{{- end }}

{{/* Probes against the web port. */}}
{{- define "hub.probes" -}}
livenessProbe:
  httpGet:
    path: {{ .Values.probes.liveness.path }}
    port: web
  initialDelaySeconds: {{ .Values.probes.liveness.initialDelaySeconds }}
  periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
readinessProbe:
  httpGet:
    path: {{ .Values.probes.readiness.path }}
    port: web
  initialDelaySeconds: {{ .Values.probes.readiness.initialDelaySeconds }}
  periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
startupProbe:
  httpGet:
    path: {{ .Values.probes.startup.path }}
    port: web
  periodSeconds: {{ .Values.probes.startup.periodSeconds }}
  failureThreshold: {{ .Values.probes.startup.failureThreshold }}
{{- end }}

{{/* Volumes every hub pod needs with a read-only root filesystem (plus the Kafka CA). */}}
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
{{- end }}
