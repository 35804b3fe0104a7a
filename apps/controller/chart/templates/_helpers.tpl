{{/* The name of everything the chart creates. */}}
{{- define "sluice.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "sluice.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: sluice
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The namespace the controller watches: empty for every namespace (cluster install only). */}}
{{- define "sluice.watchNamespace" -}}
{{- if .Values.clusterInstall -}}
{{- .Values.watchNamespace -}}
{{- else -}}
{{- .Values.watchNamespace | default .Release.Namespace -}}
{{- end -}}
{{- end -}}

{{/* Refuses values that would render a broken or unsafe installation. */}}
{{- define "sluice.validate" -}}
{{- if and (gt (int .Values.replicas) 1) (not .Values.leaderElection.enabled) -}}
{{- fail (printf "leaderElection.enabled=false with replicas=%d: every replica would write to the same Rollouts; set replicas=1 or leaderElection.enabled=true" (int .Values.replicas)) -}}
{{- end -}}
{{- if and .Values.serviceMonitor.enabled (not .Values.metricsService.enabled) -}}
{{- fail "serviceMonitor.enabled=true needs metricsService.enabled=true: the ServiceMonitor scrapes the metrics Service" -}}
{{- end -}}
{{- end -}}
