{{/*
Expand the name of the chart.
*/}}
{{- define "pcap-analyzer.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
Truncated at 63 characters because some Kubernetes name fields are limited to that
(by the DNS naming spec). If the release name contains the chart name it is used as
the full name, so `helm install pcap-analyzer .` names everything `pcap-analyzer`.
*/}}
{{- define "pcap-analyzer.fullname" -}}
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

{{/*
Chart name and version as used by the helm.sh/chart label.
*/}}
{{- define "pcap-analyzer.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Image tag: image.tag, or the chart's appVersion when the tag is empty.
*/}}
{{- define "pcap-analyzer.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion | toString }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "pcap-analyzer.labels" -}}
helm.sh/chart: {{ include "pcap-analyzer.chart" . }}
{{ include "pcap-analyzer.selectorLabels" . }}
app.kubernetes.io/version: {{ include "pcap-analyzer.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pcap-analyzer
{{- end }}

{{/*
Selector labels (immutable once the Deployment exists: never add to them).
*/}}
{{- define "pcap-analyzer.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pcap-analyzer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Name of the ServiceAccount to use.
*/}}
{{- define "pcap-analyzer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pcap-analyzer.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Name of the PersistentVolumeClaim holding the data directory.
*/}}
{{- define "pcap-analyzer.claimName" -}}
{{- .Values.persistence.existingClaim | default (include "pcap-analyzer.fullname" .) }}
{{- end }}

{{/*
Upload body limit for a reverse proxy, in MB: the application limit plus 10 MB of
headroom for multipart framing (so the application, not the proxy, rejects an
oversized capture with its own JSON error).
*/}}
{{- define "pcap-analyzer.proxyBodySize" -}}
{{- add .Values.env.maxUploadSizeMB 10 }}m
{{- end }}

{{/*
Fail early on values that cannot work.
*/}}
{{- define "pcap-analyzer.validateValues" -}}
{{- if gt (int .Values.replicaCount) 1 }}
{{- fail "replicaCount must be 0 or 1: reports, the upload spool and the job queue live on one ReadWriteOnce volume and in one process (see README, Limitations)" }}
{{- end }}
{{- if not (has .Values.service.type (list "ClusterIP" "NodePort" "LoadBalancer")) }}
{{- fail (printf "service.type must be ClusterIP, NodePort or LoadBalancer (got %q)" (toString .Values.service.type)) }}
{{- end }}
{{- if not (has (upper (toString .Values.env.logLevel)) (list "DEBUG" "INFO" "WARNING" "ERROR")) }}
{{- fail (printf "env.logLevel must be DEBUG, INFO, WARNING or ERROR (got %q)" (toString .Values.env.logLevel)) }}
{{- end }}
{{- if not (isAbs (toString .Values.env.dataDir)) }}
{{- fail (printf "env.dataDir must be an absolute path (got %q)" (toString .Values.env.dataDir)) }}
{{- end }}
{{- if eq (clean (toString .Values.env.dataDir)) "/tmp" }}
{{- fail "env.dataDir must not be /tmp (a separate scratch volume is mounted there)" }}
{{- end }}
{{- if le (int64 .Values.env.maxUploadSizeMB) 0 }}
{{- fail "env.maxUploadSizeMB must be a positive integer" }}
{{- end }}
{{- end }}
