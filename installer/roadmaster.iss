; RoadMaster Desktop: the Windows installer (Inno Setup 6).
;
; Built by `python build\build.py --installer` after the bundle, which passes the
; version and publisher from pyproject.toml:
;   ISCC.exe /DAppVersion=0.1.0 "/DAppPublisher=The RoadMaster authors" ^
;            /DDistDir=C:\...\dist\roadmaster /OC:\...\dist installer\roadmaster.iss
;
; - Per-user, without administrator rights: the app goes to
;   %LOCALAPPDATA%\Programs\RoadMaster, shortcuts to the user's Start menu.
; - Optional: start with Windows (HKCU Run), and then minimised to the tray
;   (the app's --minimised option).
; - Uninstalling keeps the player's data (%LOCALAPPDATA%\RoadMaster: the job log,
;   settings, logs) unless they say otherwise when asked.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef AppPublisher
  #define AppPublisher "The RoadMaster authors"
#endif
#ifndef DistDir
  #define DistDir "..\dist\roadmaster"
#endif
#define AppName "RoadMaster Desktop"
#define AppExe "roadmaster.exe"
#define RunKey "Software\Microsoft\Windows\CurrentVersion\Run"

[Setup]
; The same AppId in every version: a new installer upgrades the old install.
AppId={{FA5A8572-9D9B-4EE1-B9D8-D5756A8E56C4}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
VersionInfoVersion={#AppVersion}
PrivilegesRequired=lowest
DefaultDirName={autopf}\RoadMaster
DefaultGroupName=RoadMaster
DisableProgramGroupPage=yes
DisableDirPage=auto
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Qt 6 needs Windows 10 1809 or later.
MinVersion=10.0.17763
OutputDir=..\dist
OutputBaseFilename=RoadMaster-Setup-{#AppVersion}
SetupIconFile=..\resources\icons\roadmaster.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
; A running RoadMaster holds its files: ask it to close (Restart Manager).
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "autostart"; Description: "Start RoadMaster when I sign in to Windows"; GroupDescription: "Start-up:"; Flags: unchecked
Name: "autostart\minimised"; Description: "Start it minimised to the tray"; Flags: unchecked

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundle as a whole: no stale libraries from an older build.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\RoadMaster"; Filename: "{app}\{#AppExe}"; Comment: "Telemetry, job log and cloud sync for ATS and ETS2"
Name: "{autoprograms}\RoadMaster (demo)"; Filename: "{app}\{#AppExe}"; Parameters: "--demo"; Comment: "RoadMaster with a simulated truck, no game needed"
Name: "{autodesktop}\RoadMaster"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
Root: HKCU; Subkey: "{#RunKey}"; ValueType: string; ValueName: "RoadMaster"; ValueData: """{app}\{#AppExe}"""; Flags: uninsdeletevalue; Tasks: autostart and not autostart\minimised
Root: HKCU; Subkey: "{#RunKey}"; ValueType: string; ValueName: "RoadMaster"; ValueData: """{app}\{#AppExe}"" --minimised"; Flags: uninsdeletevalue; Tasks: autostart\minimised
; Re-installed without "start with Windows": remove the entry an earlier install made.
Root: HKCU; Subkey: "{#RunKey}"; ValueType: none; ValueName: "RoadMaster"; Flags: deletevalue; Tasks: not autostart

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,RoadMaster}"; Flags: nowait postinstall skipifsilent

[Code]
var
  DeleteData: Boolean;

function DataDir(): String;
begin
  { platformdirs' user data folder for "RoadMaster": settings and logs live there too }
  Result := ExpandConstant('{localappdata}\RoadMaster');
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usUninstall then
  begin
    DeleteData := False;
    if DirExists(DataDir()) and not UninstallSilent() then
      DeleteData := MsgBox('Also delete your RoadMaster data?' + #13#10 + #13#10 +
        'Your job log, settings and logs are in' + #13#10 + DataDir() + #13#10 + #13#10 +
        'Choose No to keep them (a later install finds them again).',
        mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES;
  end;
  if (CurUninstallStep = usPostUninstall) and DeleteData then
  begin
    if not DelTree(DataDir(), True, True, True) then
      MsgBox('Some of ' + DataDir() + ' could not be deleted (is RoadMaster still running?).',
        mbError, MB_OK);
  end;
end;
