{{- define "blog.fullname" -}}{{ .Release.Name }}-blog{{- end }}
