package avro

import "github.com/esbench/esbench/refimpl/codec/internal/wire"

// wireSchema pairs a wire mirror with its Avro record schema.
type wireSchema struct {
	wire   any
	schema string
}

// schemas pairs each wire mirror with its Avro record schema. Field names
// match the avro struct tags in package wire. Times are longs of Unix
// nanoseconds (Avro's timestamp logical types stop at microseconds).
func schemas() []wireSchema {
	return []wireSchema{
		{&wire.AccountOpened{}, `{"type":"record","name":"AccountOpened","namespace":"esbench.v1","fields":[
		{"name":"customer_id","type":"string"},{"name":"plan","type":"string"},{"name":"at","type":"long"}]}`},
		{&wire.DeviceRegistered{}, `{"type":"record","name":"DeviceRegistered","namespace":"esbench.v1","fields":[
		{"name":"device_id","type":"string"},{"name":"at","type":"long"}]}`},
		{&wire.DeviceRemoved{}, `{"type":"record","name":"DeviceRemoved","namespace":"esbench.v1","fields":[
		{"name":"device_id","type":"string"},{"name":"at","type":"long"}]}`},
		{&wire.DownloadGranted{}, `{"type":"record","name":"DownloadGranted","namespace":"esbench.v1","fields":[
		{"name":"request_id","type":"string"},{"name":"license_id","type":"string"},{"name":"device_id","type":"string"},
		{"name":"title_id","type":"string"},{"name":"studio_id","type":"string"},{"name":"restricted","type":"boolean"},
		{"name":"year","type":"long"},{"name":"expires_at","type":"long"},{"name":"at","type":"long"}]}`},
		{&wire.DownloadRenewed{}, `{"type":"record","name":"DownloadRenewed","namespace":"esbench.v1","fields":[
		{"name":"license_id","type":"string"},{"name":"expires_at","type":"long"},{"name":"at","type":"long"}]}`},
		{&wire.DownloadReleased{}, `{"type":"record","name":"DownloadReleased","namespace":"esbench.v1","fields":[
		{"name":"license_id","type":"string"},{"name":"device_id","type":"string"},{"name":"at","type":"long"}]}`},
		{&wire.DownloadDenied{}, `{"type":"record","name":"DownloadDenied","namespace":"esbench.v1","fields":[
		{"name":"request_id","type":"string"},{"name":"device_id","type":"string"},{"name":"title_id","type":"string"},
		{"name":"reason","type":"string"},{"name":"detail","type":"string"},{"name":"policy_version","type":"long"},
		{"name":"at","type":"long"}]}`},
		{&wire.LicenseIssued{}, `{"type":"record","name":"LicenseIssued","namespace":"esbench.v1","fields":[
		{"name":"license_id","type":"string"},{"name":"customer_id","type":"string"},{"name":"device_id","type":"string"},
		{"name":"title_id","type":"string"},{"name":"studio_id","type":"string"},{"name":"policy_version","type":"long"},
		{"name":"issued_at","type":"long"},{"name":"expires_at","type":"long"}]}`},
		{&wire.LicenseRenewed{}, `{"type":"record","name":"LicenseRenewed","namespace":"esbench.v1","fields":[
		{"name":"request_id","type":"string"},{"name":"renewal","type":"long"},{"name":"expires_at","type":"long"},{"name":"at","type":"long"}]}`},
		{&wire.PlaybackStarted{}, `{"type":"record","name":"PlaybackStarted","namespace":"esbench.v1","fields":[
		{"name":"at","type":"long"},{"name":"playback_ends_at","type":"long"}]}`},
		{&wire.LicenseReleased{}, `{"type":"record","name":"LicenseReleased","namespace":"esbench.v1","fields":[
		{"name":"reason","type":"string"},{"name":"at","type":"long"}]}`},
		{&wire.LicenseActionDenied{}, `{"type":"record","name":"LicenseActionDenied","namespace":"esbench.v1","fields":[
		{"name":"request_id","type":"string"},{"name":"action","type":"string"},{"name":"reason","type":"string"},{"name":"at","type":"long"}]}`},
		{&wire.AccountSnapshot{}, `{"type":"record","name":"AccountSnapshot","namespace":"esbench.v1","fields":[
		{"name":"customer_id","type":"string"},{"name":"plan","type":"string"},{"name":"opened_at","type":"long"},
		{"name":"devices","type":{"type":"array","items":{"type":"record","name":"DeviceEntry","fields":[
			{"name":"device_id","type":"string"},{"name":"registered_at","type":"long"}]}}},
		{"name":"downloads","type":{"type":"array","items":{"type":"record","name":"DownloadEntry","fields":[
			{"name":"license_id","type":"string"},{"name":"device_id","type":"string"},{"name":"title_id","type":"string"},
			{"name":"expires_at","type":"long"}]}}},
		{"name":"title_years","type":{"type":"array","items":{"type":"record","name":"TitleYearCount","fields":[
			{"name":"title_id","type":"string"},{"name":"year","type":"long"},{"name":"count","type":"long"}]}}},
		{"name":"latest_year","type":"long"},
		{"name":"denials","type":{"type":"array","items":{"type":"record","name":"Denial","fields":[
			{"name":"request_id","type":"string"},{"name":"device_id","type":"string"},{"name":"title_id","type":"string"},
			{"name":"reason","type":"string"},{"name":"detail","type":"string"},{"name":"at","type":"long"}]}}},
		{"name":"prune_at","type":"long"},
		{"name":"counters","type":{"type":"record","name":"AccountCounters","fields":[
			{"name":"granted","type":"long"},{"name":"denied","type":"long"},{"name":"renewed","type":"long"},
			{"name":"released","type":"long"}]}}]}`},
		{&wire.LicenseSnapshot{}, `{"type":"record","name":"LicenseSnapshot","namespace":"esbench.v1","fields":[
		{"name":"license_id","type":"string"},{"name":"customer_id","type":"string"},{"name":"device_id","type":"string"},
		{"name":"title_id","type":"string"},{"name":"studio_id","type":"string"},{"name":"policy_version","type":"long"},
		{"name":"issued_at","type":"long"},{"name":"expires_at","type":"long"},{"name":"renewals","type":"long"},
		{"name":"last_renewal","type":"string"},{"name":"first_play_at","type":"long"},{"name":"playback_ends_at","type":"long"},
		{"name":"released","type":"boolean"},{"name":"released_at","type":"long"},{"name":"release_reason","type":"string"},
		{"name":"denials","type":"long"}]}`},
	}
}
