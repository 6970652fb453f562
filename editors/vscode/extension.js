// The studio extension: starts `studio lsp` for .studio files (language id "studio") and for
// *.studio.yaml files (which keep the "yaml" language id, so the YAML extension still validates
// them against the schema their first line names). Plain JavaScript: no build step.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("studio");
  const [command, ...args] = config.get("server.command", ["studio", "lsp"]);
  const server = { command, args, transport: TransportKind.stdio };
  client = new LanguageClient("studio", "studio", server, {
    documentSelector: [
      { scheme: "file", language: "studio" },
      { scheme: "file", pattern: "**/*.studio.yaml" },
      { scheme: "file", pattern: "**/*.studio.yml" },
    ],
    initializationOptions: {
      allowPaths: config.get("allowPaths", []),
      cache: config.get("cache") || undefined,
    },
  });
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
